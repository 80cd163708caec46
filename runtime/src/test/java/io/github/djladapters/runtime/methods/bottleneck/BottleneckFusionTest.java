package io.github.djladapters.runtime.methods.bottleneck;

import static io.github.djladapters.runtime.testmodel.TinyModel.HIDDEN;
import static io.github.djladapters.runtime.testmodel.TinyModel.LAYERS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.AdapterSummary;
import io.github.djladapters.runtime.composition.Fuse;
import io.github.djladapters.runtime.files.AdapterFusionFiles;
import io.github.djladapters.runtime.methods.ReferenceWeights;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdapterFusion over two Pfeiffer adapters on the tiny pre-LN model: only the fusion layer trains
 * and its loss falls; the fused output matches the library's {@code compose_fuse} and
 * {@code BertFusion} written in plain Java doubles; saved in the library's layout and loaded into a
 * fresh model it gives identical outputs.
 */
class BottleneckFusionTest {

    private static final BnConfig PFEIFFER = SeqBnConfig.builder().reductionFactor(2).build();
    private static final Fuse FUSE = Fuse.of("a", "b");

    @TempDir
    Path dir;

    private static AdapterModel<TinyModel> withTwoAdapters(NDManager manager) {
        AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
        peft.addAdapter("a", PFEIFFER);
        peft.addAdapter("b", PFEIFFER);
        BottleneckTest.perturb(peft, "a", manager, 3);
        BottleneckTest.perturb(peft, "b", manager, 5);
        return peft;
    }

    @Test
    void fusionTrainsAloneMatchesTheLibraryFormulasAndReloadsIntoAFreshModel() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withTwoAdapters(manager);
            Map<String, float[]> base = TinyReference.weightsOf(BottleneckTest.model(manager).model());
            Map<String, float[]> adapterA = BottleneckTest.adapterValues(peft, "a", manager);
            peft.addAdapterFusion(FUSE);
            assertEquals(Map.of("a,b", List.of("a", "b")), peft.adapterFusions());

            List<Parameter> trainable = peft.trainAdapterFusion(FUSE);
            // query and key with bias, value without, at the one output_adapter site of each layer
            assertEquals(LAYERS * (3L * HIDDEN * HIDDEN + 2 * HIDDEN),
                    trainable.stream().mapToLong(p -> p.getArray().size()).sum());
            List<String> trainableNames = new ArrayList<>();
            peft.model().getParameters().forEach(p -> {
                if (p.getValue().requiresGradient()) {
                    trainableNames.add(p.getKey());
                }
            });
            assertEquals(LAYERS * 5, trainableNames.size(), trainableNames.toString());
            long fusionCount = LAYERS * (3L * HIDDEN * HIDDEN + 2 * HIDDEN);
            AdapterSummary summary = peft.adapterSummary();
            AdapterSummary.Row fusionRow = summary.rows().stream().filter(r -> r.name().equals("a,b")).findFirst()
                    .orElseThrow(() -> new AssertionError("no fusion row in " + summary));
            assertEquals("fusion", fusionRow.architecture());
            assertEquals(fusionCount, fusionRow.parameters());
            assertTrue(fusionRow.train());
            long adapterRows = summary.rows().stream().mapToLong(AdapterSummary.Row::parameters).sum();
            assertEquals(peft.trainableParameters().all(), summary.baseParameters() + adapterRows,
                    "the fusion layers are not counted as base parameters");

            List<Float> losses = train(peft, trainable, manager);
            assertTrue(losses.get(losses.size() - 1) < 0.9 * losses.get(0), "loss " + losses);
            assertArrayEquals(adapterA.get("layers.0.output_adapters.adapter_up.weight"),
                    BottleneckTest.adapterValues(peft, "a", manager).get("layers.0.output_adapters.adapter_up.weight"),
                    "the fused adapters stay frozen");

            float[] fused = ReferenceWeights.run(peft, manager);
            Path saved = dir.resolve("fusion");
            peft.saveAdapterFusion(saved, FUSE);
            assertTrue(Files.exists(saved.resolve("adapter_fusion_config.json")));
            Map<String, float[]> fusionWeights = new HashMap<>();
            try (NDManager scope = manager.newSubManager()) {
                AdapterFusionFiles.Loaded loaded = AdapterFusionFiles.read(saved, scope);
                assertEquals("a,b", loaded.name());
                loaded.tensors().forEach((key, value) -> fusionWeights.put(key, value.toFloatArray()));
            }
            assertTrue(fusionWeights.containsKey("layers.1.output_adapters.adapter_fusion_layer.a,b.value.weight"),
                    fusionWeights.keySet().toString());
            assertArrayEquals(reference(base, peft, fusionWeights, manager).run(ReferenceWeights.IDS), fused, 2e-5f);

            peft.saveAdapter(dir.resolve("adapters"), "a", "b");
            try (NDManager fresh = NDManager.newBaseManager()) {
                AdapterModel<TinyModel> other = BottleneckTest.model(fresh);
                other.loadAdapter(dir.resolve("adapters").resolve("a"), "a");
                other.loadAdapter(dir.resolve("adapters").resolve("b"), "b");
                Fuse loaded = other.loadAdapterFusion(saved);
                other.setActiveAdapters(loaded);
                assertArrayEquals(fused, ReferenceWeights.run(other, fresh), "the reloaded fusion gives the same output");
            }
        }
    }

    @Test
    void repeatedFusedForwardsAndTrainingStepsLeaveTheArrayCountsWhereTheyWere() {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withTwoAdapters(manager);
            peft.addAdapterFusion(FUSE);
            peft.trainAdapterFusion(FUSE);
            Runnable round = () -> {
                try (NDManager scope = caller.newSubManager()) {
                    NDArray input = scope.create(ReferenceWeights.IDS);
                    peft.model().forward(new ParameterStore(scope, false), new NDList(input), false);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray out = peft.model().forward(new ParameterStore(scope, false), new NDList(input), true)
                                .head();
                        collector.backward(out.square().mean());
                    }
                }
            };
            ArrayCounts.assertFlatOver(30, round, manager, caller);
        }
    }

    /** Adam on a squared error towards a fixed random target, through the model's own training forward. */
    private static List<Float> train(AdapterModel<TinyModel> peft, List<Parameter> trainable, NDManager manager) {
        Random random = new Random(11);
        float[] goal = new float[ReferenceWeights.IDS.length * ReferenceWeights.IDS[0].length * HIDDEN];
        for (int i = 0; i < goal.length; i++) {
            goal[i] = (float) random.nextGaussian();
        }
        NDArray target = manager.create(goal, new Shape(ReferenceWeights.IDS.length, ReferenceWeights.IDS[0].length,
                HIDDEN));
        NDArray input = manager.create(ReferenceWeights.IDS);
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.05f)).build();
        List<Float> losses = new ArrayList<>();
        for (int step = 0; step < 25; step++) {
            try (NDManager scope = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = peft.model().forward(new ParameterStore(scope, false), new NDList(input), true).head();
                    NDArray loss = out.sub(target).square().mean();
                    collector.backward(loss);
                    losses.add(loss.getFloat());
                }
                for (Parameter p : trainable) {
                    NDArray gradient = p.getArray().getGradient();
                    adam.update(p.getId(), p.getArray(), gradient);
                    gradient.subi(gradient);
                }
            }
        }
        return losses;
    }

    /** The library's compose_fuse with the dynamic BertFusion, in doubles, over the saved fusion weights. */
    private static BottleneckReference reference(Map<String, float[]> base, AdapterModel<TinyModel> peft,
            Map<String, float[]> fusion, NDManager manager) {
        int width = PFEIFFER.width(HIDDEN, 0);
        BottleneckReference a = new BottleneckReference(base, BottleneckTest.adapterValues(peft, "a", manager), PFEIFFER,
                width);
        BottleneckReference b = new BottleneckReference(base, BottleneckTest.adapterValues(peft, "b", manager), PFEIFFER,
                width);
        return new BottleneckReference(base, Map.of(), PFEIFFER, width) {
            @Override
            double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
                double[][][] prepared = b.pre(h, x, layerNorm); // the last adapter's pre_forward
                String f = prefix + "adapter_fusion_layer.a,b.";
                double[][] q = linear(prepared[0], fusion.get(f + "query.weight"), fusion.get(f + "query.bias"), HIDDEN);
                double[][][] ups = {a.body(prefix, prepared[0]), b.body(prefix, prepared[0])};
                double[][] out = new double[h.length][HIDDEN];
                for (int t = 0; t < h.length; t++) {
                    double[] scores = new double[2];
                    double[][] values = new double[2][];
                    for (int i = 0; i < 2; i++) {
                        double[] k = linear(new double[][] {ups[i][t]}, fusion.get(f + "key.weight"),
                                fusion.get(f + "key.bias"), HIDDEN)[0];
                        values[i] = linear(new double[][] {ups[i][t]}, fusion.get(f + "value.weight"), null, HIDDEN)[0];
                        for (int j = 0; j < HIDDEN; j++) {
                            scores[i] += q[t][j] * k[j];
                        }
                    }
                    double max = Math.max(scores[0], scores[1]);
                    double e0 = Math.exp(scores[0] - max);
                    double e1 = Math.exp(scores[1] - max);
                    for (int j = 0; j < HIDDEN; j++) {
                        out[t][j] = (e0 * values[0][j] + e1 * values[1][j]) / (e0 + e1) + prepared[1][t][j];
                    }
                }
                return b.post(out, x, layerNorm);
            }
        };
    }

    @Test
    void fuseFailsAtSetActiveAdaptersWithoutAFusionLayerOrForAnotherMethod() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withTwoAdapters(manager);
            peft.addAdapter("l", LoRAConfig.builder().r(2).targetModules("q_proj").build());
            peft.setActiveAdapters("a");
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> peft.setActiveAdapters(FUSE));
            assertTrue(missing.getMessage().contains("no adapter fusion 'a,b'"), missing.getMessage());
            IllegalArgumentException lora = assertThrows(IllegalArgumentException.class,
                    () -> peft.addAdapterFusion(Fuse.of("a", "l")));
            assertTrue(lora.getMessage().contains("Fuse") && lora.getMessage().contains("'l'")
                    && lora.getMessage().contains("lora"), lora.getMessage());
            assertEquals(List.of("a"), peft.activeAdapters());

            peft.addAdapterFusion(FUSE);
            peft.deleteAdapter("b");
            assertEquals(Map.of(), peft.adapterFusions(), "deleting a fused adapter deletes the fusion");
        }
    }
}

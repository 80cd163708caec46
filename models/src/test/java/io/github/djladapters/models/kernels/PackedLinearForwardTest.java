package io.github.djladapters.models.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.util.Map;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.architecture.PackedLinearWeights;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference products through packed weights ({@link TorchLinearPacking}) give the plain products'
 * outputs, on the real all-MiniLM-L6-v2 and a tiny BERT, with and without adapters, and follow the
 * weights when they change: merge and unmerge, a checkpoint-style replacement of values, an optimizer
 * step after a training forward.
 */
class PackedLinearForwardTest {

    /** Relative tolerance: max |packed - plain| over max |plain|. */
    private static final double TOLERANCE = 1e-5;

    private static final BertConfig TINY = TinyCheckpoints.tinyBert();

    @TempDir static Path cacheDir;
    @TempDir Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @BeforeEach
    void packSmallBatches() {
        PackedLinearWeights.setEnabled(true);
        PackedLinearWeights.setMinimumRows(1); // the tiny model's batches have few rows
    }

    @AfterEach
    void switchBack() {
        PackedLinearWeights.setEnabled(PackedLinearWeights.byProperty());
        PackedLinearWeights.setMinimumRows(128);
        manager.close();
    }

    @Test
    void packedForwardMatchesPlainOnAllMiniLm() throws Exception {
        PackedLinearWeights.setMinimumRows(128);
        BertModel model = AllMiniLmL6V2.load(manager, cacheDir);
        long[][] ids = new long[4][64];
        Random random = new Random(3);
        for (long[] row : ids) {
            for (int t = 0; t < row.length; t++) {
                row[t] = t == 0 ? 101 : t == row.length - 1 ? 102 : 1000 + random.nextInt(28000);
            }
        }
        Function<NDManager, NDList> inputs = scope -> {
            NDArray input = scope.create(ids);
            return new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                    scope.zeros(input.getShape(), input.getDataType()));
        };
        float[][] both = plainAndPacked(in -> model.forward(new ParameterStore(in.head().getManager(), false), in,
                false), inputs);
        assertClose(both[0], both[1]);
    }

    @Test
    void packedForwardMatchesPlainOnTinyBertWithAndWithoutAdapters() throws Exception {
        AdapterModel<BertModel> base = tinyBert();
        float[][] plainPacked = plainAndPacked(base::forward, this::batch);
        assertClose(plainPacked[0], plainPacked[1]);

        AdapterModel<BertModel> lora = tinyBert();
        lora.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE)
                .targetModules("query", "value").build());
        lora.setActiveAdapters("lora");
        float[][] unmerged = plainAndPacked(lora::forward, this::batch);
        assertClose(unmerged[0], unmerged[1]);
        assertFalse(maxDiff(unmerged[0], plainPacked[0]) < 1e-4, "the adapter changes the output");

        AdapterModel<BertModel> ia3 = tinyBert();
        ia3.addAdapter("ia3", IA3Config.builder().targetModules("key", "value", "output.dense")
                .feedforwardModules("output.dense").initIa3Weights(false).build());
        ia3.setActiveAdapters("ia3");
        float[][] scaled = plainAndPacked(ia3::forward, this::batch);
        assertClose(scaled[0], scaled[1]);
    }

    @Test
    void mergeAndUnmergeRepackTheWeights() throws Exception {
        AdapterModel<BertModel> model = tinyBert();
        model.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE)
                .targetModules("query", "value", "dense").build());
        model.setActiveAdapters("lora");
        float[] unmerged = packed(model::forward);
        model.mergeAdapter("lora");
        float[] merged = packed(model::forward);
        assertClose(unmerged, merged);
        assertClose(plain(model::forward), merged);
        model.unmergeAdapter();
        try (var off = model.disableAdapters()) {
            float[] base = packed(model::forward);
            assertClose(plain(model::forward), base);
            assertFalse(maxDiff(base, merged) < 1e-4, "unmerged and disabled: the base output");
        }
    }

    @Test
    void replacedValuesAndOptimizerStepsRepackTheWeights() throws Exception {
        AdapterModel<BertModel> model = tinyBert();
        float[] before = packed(model::forward);
        // a checkpoint-style replacement of one projection's values
        Parameter query = model.model().getParameters().stream().filter(p -> p.getKey().contains("query")
                && p.getKey().endsWith("weight")).findFirst().orElseThrow().getValue();
        ArrayValues.replace(query.getArray(), query.getArray().mul(1.5f));
        float[] replaced = packed(model::forward);
        assertClose(plain(model::forward), replaced);
        assertFalse(maxDiff(before, replaced) < 1e-4, "the new values change the output");

        // a full fine-tuning step: a training forward, backward, an in-place update of every weight
        BertModel bert = model.model();
        bert.freezeParameters(false);
        List<Parameter> all = new ArrayList<>(bert.getParameters().values());
        FusedAdam adam = FusedAdam.adam(all, all.get(0).getArray().getManager(), 1e-2f);
        try (NDManager scope = manager.newSubManager()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = bert.forward(new ParameterStore(scope, false), batch(scope), true).head();
                collector.backward(out.square().mean());
            }
            adam.step();
        }
        bert.freezeParameters(true);
        float[] stepped = packed(model::forward);
        assertClose(plain(model::forward), stepped);
        assertFalse(maxDiff(replaced, stepped) < 1e-4, "the step changes the output");
    }

    @Test
    void aLibtorchWithoutTheOperatorsKeepsThePlainProduct() {
        String missing = """
                class PackedLinear(Module):
                  __parameters__ = []
                  __buffers__ = []
                  training : bool
                  def forward(self: __torch__.PackedLinear,
                    x: Tensor) -> Tensor:
                    return ops.mkl._no_such_operator(x)
                """;
        TorchLinearPacking packing = new TorchLinearPacking(missing, "mkl");
        NDArray x = manager.ones(new Shape(4, 3));
        NDArray w = manager.ones(new Shape(2, 3));
        try (GradientsOff off = GradientsOff.onThisThread()) {
            assertFalse(packing.applies(x, w));
            assertTrue(new TorchLinearPacking().applies(x, w), "the shipped operators exist in this libtorch");
        }
    }

    @Test
    void bothKindsGiveThePlainProductForEveryRowCount() {
        manager.getEngine().setRandomSeed(5);
        NDArray w = manager.randomNormal(new Shape(48, 32));
        NDArray b = manager.randomNormal(new Shape(48));
        try (GradientsOff off = GradientsOff.onThisThread()) {
            for (String kind : new String[] {"mkl", "onednn"}) {
                TorchLinearPacking packing = new TorchLinearPacking(null, kind);
                NDArray packed = packing.pack(w, 40);
                for (long[] shape : new long[][] {{5, 8, 32}, {40, 32}, {3, 32}}) {
                    NDArray x = manager.randomNormal(new Shape(shape));
                    assertTrue(packing.applies(x, w));
                    long rows = x.size() / 32;
                    // a packed copy serves only its own row count: another count gets its own
                    NDArray forRows = rows == 40 ? packed : packing.pack(w, rows);
                    assertClose(x.matMul(w.transpose()).add(b).toFloatArray(),
                            packing.product(x, forRows, w, b, rows).toFloatArray());
                    assertClose(x.matMul(w.transpose()).toFloatArray(),
                            packing.product(x, forRows, w, null, rows).toFloatArray());
                    assertEquals(new Shape(shape).slice(0, shape.length - 1).add(48),
                            packing.product(x, forRows, w, b, rows).getShape(), kind);
                }
            }
        }
    }

    /** Outputs with packing off, then on; checks that the packed run took packed products. */
    private float[][] plainAndPacked(Function<NDList, NDList> forward, Function<NDManager, NDList> inputs) {
        PackedLinearWeights.setEnabled(false);
        float[] plain = run(forward, inputs);
        PackedLinearWeights.setEnabled(true);
        long products = PackedLinearWeights.products();
        float[] packed = run(forward, inputs);
        assertTrue(PackedLinearWeights.products() > products, "the forward took packed products");
        return new float[][] {plain, packed};
    }

    private float[] plain(Function<NDList, NDList> forward) {
        PackedLinearWeights.setEnabled(false);
        try {
            return run(forward, this::batch);
        } finally {
            PackedLinearWeights.setEnabled(true);
        }
    }

    private float[] packed(Function<NDList, NDList> forward) {
        long products = PackedLinearWeights.products();
        float[] out = run(forward, this::batch);
        assertTrue(PackedLinearWeights.products() > products, "the forward took packed products");
        return out;
    }

    private float[] run(Function<NDList, NDList> forward, Function<NDManager, NDList> inputs) {
        try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
            return forward.apply(inputs.apply(scope)).head().toFloatArray();
        }
    }

    private AdapterModel<BertModel> tinyBert() throws Exception {
        Path checkpoint = dir.resolve("bert");
        if (!checkpoint.toFile().exists()) {
            Map<String, Shape> shapes = TinyCheckpoints.shapes(TINY);
            TinyCheckpoints.write(checkpoint, TINY, shapes, TinyCheckpoints.randomWeights(shapes, 17), TensorDType.F32,
                    1, "");
        }
        return Adapters.init(BertModels.fromCheckpoint(checkpoint, manager));
    }

    private NDList batch(NDManager scope) {
        long[][][] batch = TinyCheckpoints.paddedBatch(TINY, 5);
        return new NDList(scope.create(batch[0]), scope.create(batch[1]), scope.create(batch[2]));
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double diff = maxDiff(expected, actual);
        assertTrue(diff <= TOLERANCE * scale, "max |diff| " + diff + " over max |value| " + scale);
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

package io.github.djladapters.runtime.methods.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.ReferenceWeights;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bottleneck adapters on the tiny pre-LN model (hidden 8, two layers), checked against the Adapters
 * library's formulas in plain Java ({@link BottleneckReference}).
 */
class BottleneckTest {

    private static final int HIDDEN = TinyModel.HIDDEN;

    static AdapterModel<TinyModel> model(NDManager manager) {
        return Adapters.init(new TinyModel(manager, false),
                TinyInterfaces.separate().adapterMethods(AdapterMethod.LORA, AdapterMethod.BOTTLENECK).build());
    }

    /** Gives every adapter tensor random values (layer-norm gains near 1), so no term is zero. */
    static void perturb(AdapterModel<?> peft, String name, NDManager manager, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        Map<String, NDArray> tensors = peft.adapterTensors(name, manager);
        Map<String, NDArray> random = new HashMap<>();
        Map<String, NDArray> byValue = new HashMap<>();
        tensors.forEach((key, value) -> {
            String twin = key.replace("adapter_down.0.", "adapter_norm_before.");
            NDArray same = byValue.get(twin.equals(key) ? key.replace("adapter_norm_before.", "adapter_down.0.") : twin);
            NDArray fresh = same != null && key.contains("norm") != twin.equals(key) ? same
                    : manager.randomUniform(-0.5f, 0.5f, value.getShape()).add(key.contains("norm_") && key.endsWith(
                            "weight") || key.endsWith("scaling") ? 1f : 0f);
            random.put(key, fresh);
            byValue.put(key, fresh);
        });
        peft.loadAdapterTensors(name, random);
    }

    static Map<String, float[]> adapterValues(AdapterModel<?> peft, String name, NDManager manager) {
        Map<String, float[]> values = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) ->
                values.put(key.substring("base_model.model.".length()), value.toFloatArray()));
        return values;
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("seq_bn (Pfeiffer)", SeqBnConfig.builder().reductionFactor(2).build()),
                Arguments.of("double_seq_bn (Houlsby)", DoubleSeqBnConfig.builder().reductionFactor(2).build()),
                Arguments.of("par_bn", ParBnConfig.builder().build()),
                Arguments.of("adapter_plus (channel scaling, no ln after)",
                        AdapterPlusConfig.builder().reductionFactor(2).stochasticDepth(0).build()),
                Arguments.of("ln_before, ln_after, learned scaling, gelu", SeqBnConfig.builder().reductionFactor(4)
                        .lnBefore(true).lnAfter(true).scaling(BnScaling.LEARNED).nonLinearity("gelu").build()),
                Arguments.of("residual_before_ln false, adapter_residual_before_ln", SeqBnConfig.builder()
                        .reductionFactor(2).residualBeforeLn(ResidualBeforeLn.FALSE).adapterResidualBeforeLn(true)
                        .lnAfter(true).mhAdapter(true).nonLinearity("tanh").build()),
                Arguments.of("per-layer reduction, layer 1 left out", DoubleSeqBnConfig.builder()
                        .reductionFactor(new ReductionFactor(null, Map.of("0", 4.0, "default", 2.0)))
                        .leaveOut(List.of(1)).scaling(0.5).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void perturbedAdapterMatchesTheLibraryFormulas(String label, BnConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            float[] base = ReferenceWeights.run(peft, manager);
            Map<String, float[]> baseWeights = TinyReference.weightsOf(peft.model()); // before wrappers rename paths
            peft.addAdapter("bn", config);
            peft.setActiveAdapters("bn");
            perturb(peft, "bn", manager, 7);
            float[] adapted = ReferenceWeights.run(peft, manager);
            int width = config.width(HIDDEN, 0);
            BottleneckReference reference = new BottleneckReference(baseWeights,
                    adapterValues(peft, "bn", manager), config, width);
            float[] expected = config.reductionFactor().perLayer() == null ? reference.run(ReferenceWeights.IDS) : null;
            if (expected != null) {
                assertArrayEquals(expected, adapted, 2e-5f, label);
            }
            assertTrue(maxDiff(base, adapted) > 1e-2, label + ": a perturbed adapter changes the output");
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                assertArrayEquals(base, ReferenceWeights.run(peft, manager), label + ": disabled is the base");
            }
        }
    }

    @Test
    void mamAdapterInitialisationIsAnExactIdentityAndBertIsNot() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            float[] base = ReferenceWeights.run(peft, manager);
            for (BnConfig config : List.of(SeqBnConfig.builder().initWeights("mam_adapter").build(),
                    DoubleSeqBnConfig.builder().initWeights("mam_adapter").build(), ParBnConfig.create())) {
                peft.addAdapter("zero", config);
                peft.setActiveAdapters("zero");
                // the up projection starts at zero, so the adapter adds exactly nothing
                assertArrayEquals(base, ReferenceWeights.run(peft, manager), config.toString());
                peft.deleteAdapter("zero");
            }
            peft.addAdapter("bert", SeqBnConfig.create());
            peft.setActiveAdapters("bert");
            double moved = maxDiff(base, ReferenceWeights.run(peft, manager));
            assertTrue(moved > 0 && moved < 0.05, "bert init (N(0, 0.02)) moves the output a little: " + moved);
        }
    }

    @Test
    void countsFollowTheParameterFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            long all = peft.trainableParameters().all();
            // per place: down H*d + d, up d*H + H; Houlsby has two places per layer; H = 8, d = 8 // 2 = 4
            peft.addAdapter("houlsby", DoubleSeqBnConfig.builder().reductionFactor(2).build());
            long perPlace = 2L * HIDDEN * 4 + 4 + HIDDEN;
            assertEquals(2 * TinyModel.LAYERS * perPlace, count(peft, "houlsby"));
            // plus ln_before and ln_after (2H each) and channel scaling (H) per place; Pfeiffer has one place
            peft.addAdapter("plus", SeqBnConfig.builder().reductionFactor(2).lnBefore(true).lnAfter(true)
                    .scaling(BnScaling.CHANNEL).build());
            assertEquals(TinyModel.LAYERS * (perPlace + 5L * HIDDEN), count(peft, "plus"));
            peft.trainAdapter("plus");
            String line = peft.printTrainableParameters();
            long trainable = TinyModel.LAYERS * (perPlace + 5L * HIDDEN);
            assertTrue(line.startsWith(String.format("trainable params: %,d || all params: %,d", trainable,
                    all + trainable + 2 * TinyModel.LAYERS * perPlace)), line);
            assertTrue(peft.adapterSummary().toString().contains("bottleneck"));
            peft.deleteAdapter("plus");
            peft.deleteAdapter("houlsby");
            assertEquals(all, peft.trainableParameters().all());
            assertTrue(peft.attachments().isEmpty());
        }
    }

    private static long count(AdapterModel<?> peft, String name) {
        return peft.adapterSummary().rows().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow()
                .parameters();
    }

    @Test
    void gradientsReachOnlyTheAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            peft.addAdapter("bn", AdapterPlusConfig.builder().reductionFactor(2).build());
            perturb(peft, "bn", manager, 3);
            peft.trainAdapter("bn");
            List<Parameter> own = peft.attachments().stream().flatMap(a -> a.parameters("bn").stream()).toList();
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = peft.model().forward(new ParameterStore(scope, false),
                        new NDList(scope.create(ReferenceWeights.IDS)), true).head();
                collector.backward(out.square().sum());
            }
            for (Parameter parameter : own) {
                assertTrue(parameter.getArray().getGradient().abs().sum().getFloat() > 0, parameter.getName());
            }
            for (Parameter parameter : peft.model().getParameters().values()) {
                if (!own.contains(parameter)) {
                    assertFalse(parameter.requiresGradient(), parameter.getName() + " is frozen");
                }
            }
        }
    }

    @Test
    void mixedBatchRowsEachGetTheirOwnAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            peft.addAdapter("seq", SeqBnConfig.builder().reductionFactor(2).build());
            peft.addAdapter("plus", AdapterPlusConfig.builder().reductionFactor(2).build());
            perturb(peft, "seq", manager, 1);
            perturb(peft, "plus", manager, 2);
            List<String> rows = List.of("seq", "", "plus");
            float[] mixed;
            try (NDManager scope = manager.newSubManager()) {
                mixed = peft.forward(new NDList(scope.create(ReferenceWeights.IDS)), rows).head().toFloatArray();
            }
            int row = mixed.length / rows.size();
            for (int r = 0; r < rows.size(); r++) {
                if (rows.get(r).isEmpty()) {
                    peft.setActiveAdapters();
                } else {
                    peft.setActiveAdapters(rows.get(r));
                }
                float[] alone = ReferenceWeights.run(peft, manager);
                for (int i = r * row; i < (r + 1) * row; i++) {
                    assertEquals(alone[i], mixed[i], 1e-5, "row " + r);
                }
            }
            // AdapterPlus adds no residual before its layer norm the way seq_bn does: they cannot be stacked
            IllegalArgumentException stacked = assertThrows(IllegalArgumentException.class,
                    () -> peft.setActiveAdapters("seq", "plus"));
            assertTrue(stacked.getMessage().contains("Stack cannot combine bottleneck adapters"), stacked.getMessage());
            IllegalStateException merge = assertThrows(IllegalStateException.class, () -> peft.mergeAdapter("seq"));
            assertTrue(merge.getMessage().contains("has no merge"), merge.getMessage());
        }
    }

    @Test
    void coexistsWithLoRAOnOtherModulesAndRefusesAnOccupiedOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            peft.addAdapter("lora", io.github.djladapters.runtime.methods.lora.LoRAConfig.builder().r(2)
                    .targetModules("q_proj", "v_proj").build());
            peft.addAdapter("bn", SeqBnConfig.create());
            peft.addAdapter("lora_o", io.github.djladapters.runtime.methods.lora.LoRAConfig.builder().r(2)
                    .targetModules("up_proj").build());
            IllegalArgumentException taken = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter(
                    "lora_down", io.github.djladapters.runtime.methods.lora.LoRAConfig.builder().r(2)
                            .targetModules("down_proj").build()));
            assertTrue(taken.getMessage().contains("already holds BottleneckLayer"), taken.getMessage());
            assertFalse(peft.adapters().contains("lora_down"));
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

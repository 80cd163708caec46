package io.github.djladapters.runtime;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The adapter model API with LoRA: switching, merging, unloading, deleting, reports. */
class AdapterModelLoRATest {

    private static final LoRAConfig RANDOM_QV = LoRAConfig.builder().r(2).loraAlpha(4)
            .initLoraWeights(LoRAInit.NONE).build();

    @Test
    void disableAdaptersGivesTheBaseOutputExactlyEvenWhenMerged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            float[] base = run(peft, manager);
            peft.addAdapter("a", RANDOM_QV);
            peft.setActiveAdapters("a");
            float[] adapted = run(peft, manager);
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                assertArrayEquals(base, run(peft, manager));
            }
            assertArrayEquals(adapted, run(peft, manager));
            peft.mergeAdapter("a");
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                assertEquals(0, maxDiff(base, run(peft, manager)), 1e-5);
            }
            assertEquals(List.of("a"), peft.mergedAdapters(), "merged again after the scope");
            assertEquals(0, maxDiff(adapted, run(peft, manager)), 1e-4);
        }
    }

    @Test
    void mergedEqualsUnmergedEqualsMergeAndUnload() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_QV);
            peft.setActiveAdapters("a");
            float[] unmerged = run(peft, manager);
            peft.mergeAdapter("a");
            float[] merged = run(peft, manager);
            assertEquals(0, maxDiff(unmerged, merged), 1e-4);
            TinyModel plain = peft.mergeAndUnload();
            assertTrue(peft.adapterLayers().isEmpty());
            assertFalse(TinyReference.weightsOf(plain).keySet().stream().anyMatch(k -> k.contains("lora")));
            assertEquals(0, maxDiff(unmerged, plain.run(manager, io.github.djladapters.runtime.methods.ReferenceWeights.IDS)),
                    1e-4);
        }
    }

    @Test
    void unmergeRestoresTheBaseWeights() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> before = TinyReference.weightsOf(peft.model());
            peft.addAdapter("a", RANDOM_QV);
            peft.addAdapter("b", RANDOM_QV.toBuilder().r(3).build());
            peft.mergeAdapter("a", "b");
            assertThrows(IllegalStateException.class, () -> peft.unmergeAdapter("a"), "b was merged after a");
            peft.resetAdapter();
            TinyModel plain = peft.unload();
            Map<String, float[]> after = TinyReference.weightsOf(plain);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((k, v) -> assertEquals(0, maxDiff(v, after.get(k)), 1e-6, k));
        }
    }

    @Test
    void mergeRefusesNanAndChangesNothing() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_QV);
            Map<String, NDArray> tensors = peft.adapterTensors("a", manager);
            NDArray b = tensors.get("base_model.model.layers.1.self_attn.v_proj.lora_B.weight");
            float[] values = b.toFloatArray();
            values[3] = Float.NaN;
            tensors.put("base_model.model.layers.1.self_attn.v_proj.lora_B.weight", manager.create(values, b.getShape()));
            peft.loadAdapterTensors("a", tensors);
            Map<String, float[]> before = TinyReference.weightsOf(peft.model());
            String message = assertThrows(IllegalStateException.class, () -> peft.mergeAdapter("a")).getMessage();
            assertTrue(message.contains("layers.1.self_attn.v_proj") && message.contains("NaN"), message);
            assertTrue(peft.mergedAdapters().isEmpty());
            Map<String, float[]> after = TinyReference.weightsOf(peft.model());
            before.forEach((k, v) -> {
                if (!k.contains("lora")) {
                    assertArrayEquals(v, after.get(k), k);
                }
            });
        }
    }

    @Test
    void mergedAdapterCannotBeMixedPerRow() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_QV);
            peft.mergeAdapter("a");
            NDList input = new NDList(manager.create(new long[][] {{1, 2}, {3, 4}}));
            String message = assertThrows(IllegalStateException.class,
                    () -> peft.forward(input, List.of("a", ""))).getMessage();
            assertTrue(message.contains("[a]") && message.contains("unmerge"), message);
        }
    }

    @Test
    void deleteAdapterRemovesEveryTrace() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            List<String> keys = parameterKeys(peft.model());
            long count = peft.trainableParameters().all();
            Block q0 = peft.block(0, Site.Q_PROJ);
            List<String> modules = new ArrayList<>(peft.moduleTree().keySet());
            float[] base = run(peft, manager);
            peft.addAdapter("a", RANDOM_QV);
            peft.addAdapter("b", RANDOM_QV.toBuilder().intermediateLora(true).build());
            peft.setActiveAdapters("a", "b");
            peft.mergeAdapter("b");
            assertTrue(peft.trainableParameters().all() > count);
            peft.deleteAdapter("a");
            peft.deleteAdapter("b");
            assertEquals(keys, parameterKeys(peft.model()));
            assertEquals(count, peft.trainableParameters().all());
            assertEquals(modules, new ArrayList<>(peft.moduleTree().keySet()));
            assertSame(q0, peft.block(0, Site.Q_PROJ));
            assertTrue(peft.adapters().isEmpty() && peft.activeAdapters().isEmpty() && peft.adapterLayers().isEmpty());
            assertEquals(0, maxDiff(base, run(peft, manager)), 1e-5);
        }
    }

    @Test
    void trainableParametersPrintInPeftsExactFormat() {
        assertEquals("trainable params: 73,728 || all params: 22,639,104 || trainable%: 0.3257",
                TrainableParameters.of(73_728, 22_639_104).toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            assertEquals(1120, peft.trainableParameters().all());
            peft.addAdapter("a", LoRAConfig.builder().r(2).build());
            peft.trainAdapter("a");
            TrainableParameters counts = peft.trainableParameters();
            assertEquals(128, counts.trainable(), "A [2, 8] and B [8, 2] on four modules");
            assertEquals(1248, counts.all());
            assertEquals("trainable params: 128 || all params: 1,248 || trainable%: 10.2564",
                    peft.printTrainableParameters());
        }
    }

    @Test
    void adapterSummaryIsTheAdaptersLibraryTable() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", LoRAConfig.builder().r(2).build());
            peft.addAdapter("d", LoRAConfig.builder().r(1).useDora(true).attnMatrices("q").build());
            peft.trainAdapter("a");
            String expected = String.join("\n",
                    "=".repeat(80),
                    "Name" + " ".repeat(21) + "Architecture" + " ".repeat(3) + "      #Param      %Param  Active   Train",
                    "-".repeat(80),
                    "a" + " ".repeat(24) + "lora" + " ".repeat(11) + "         128      11.429       1       1",
                    "d" + " ".repeat(24) + "dora" + " ".repeat(11) + "          48       4.286       0       0",
                    "-".repeat(80),
                    "Full model" + " ".repeat(15) + " ".repeat(15) + "       1,120     100.000" + " ".repeat(8)
                            + "       0",
                    "=".repeat(80));
            assertEquals(expected, peft.adapterSummary().toString());
        }
    }

    @Test
    void peftKeyTensorsRoundTripIntoAFreshModel() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> source = tiny(manager, false);
            source.addAdapter("a", RANDOM_QV.toBuilder().useDora(true).build());
            source.setActiveAdapters("a");
            Map<String, NDArray> tensors = source.adapterTensors("a", manager);
            assertEquals(List.of("base_model.model.layers.0.self_attn.q_proj.lora_A.weight",
                    "base_model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    "base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"),
                    new ArrayList<>(tensors.keySet()).subList(0, 3));
            AdapterModel<TinyModel> target = tiny(manager, false);
            target.addAdapter("x", RANDOM_QV.toBuilder().useDora(true).initLoraWeights(LoRAInit.DEFAULT).build());
            target.setActiveAdapters("x");
            target.loadAdapterTensors("x", tensors);
            assertArrayEquals(run(source, manager), run(target, manager));

            Map<String, NDArray> missing = new LinkedHashMap<>(tensors);
            missing.remove("base_model.model.layers.1.self_attn.v_proj.lora_A.weight");
            missing.put("base_model.model.layers.1.self_attn.k_proj.lora_A.weight", manager.zeros(
                    new ai.djl.ndarray.types.Shape(2, 8)));
            String message = assertThrows(IllegalArgumentException.class,
                    () -> target.loadAdapterTensors("x", missing)).getMessage();
            assertTrue(message.contains("missing keys [base_model.model.layers.1.self_attn.v_proj.lora_A.weight]"),
                    message);
            assertTrue(message.contains("unexpected keys [base_model.model.layers.1.self_attn.k_proj.lora_A.weight]"),
                    message);
            Map<String, NDArray> misShaped = new LinkedHashMap<>(tensors);
            misShaped.put("base_model.model.layers.0.self_attn.q_proj.lora_B.weight",
                    manager.zeros(new ai.djl.ndarray.types.Shape(8, 3)));
            message = assertThrows(IllegalArgumentException.class,
                    () -> target.loadAdapterTensors("x", misShaped)).getMessage();
            assertTrue(message.contains("layers.0.self_attn.q_proj.lora_B.weight has shape (8, 3), expected (8, 2)"),
                    message);
            assertArrayEquals(run(source, manager), run(target, manager), "a refused load changes nothing");
        }
    }

    @Test
    void loadedTensorsAreCopiesThatOutliveTheirManager() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> source = tiny(manager, false);
            source.addAdapter("a", RANDOM_QV);
            source.setActiveAdapters("a");
            float[] expected = run(source, manager);
            AdapterModel<TinyModel> target = tiny(manager, false);
            target.addAdapter("a", RANDOM_QV);
            target.setActiveAdapters("a");
            try (NDManager scope = manager.newSubManager()) {
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                source.adapterTensors("a", scope).forEach((key, value) ->
                        tensors.put(key, scope.create(value.toFloatArray(), value.getShape())));
                target.loadAdapterTensors("a", tensors);
                tensors.values().forEach(t -> t.muli(0).addi(Float.NaN)); // the caller reuses its arrays
            }
            for (int i = 0; i < 64; i++) { // freed memory gets reused
                manager.full(new ai.djl.ndarray.types.Shape(8, 8), Float.NaN).muli(2);
            }
            assertArrayEquals(expected, run(target, manager));
        }
    }

    @Test
    void trainAdapterFreezesEverythingButThatAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_QV);
            peft.addAdapter("b", RANDOM_QV);
            peft.trainAdapter("a");
            assertEquals(List.of("a"), peft.activeAdapters());
            for (Pair<String, Parameter> p : peft.model().getParameters()) {
                boolean ofA = p.getKey().contains("a_lora");
                assertEquals(ofA, p.getValue().requiresGradient(), p.getKey());
            }
            peft.freezeModel(false);
            assertEquals(1120 + 128, peft.trainableParameters().trainable(), "base and a trainable, b still frozen");
        }
    }

    @Test
    void unknownNamesAndDuplicatesFailClearly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_QV);
            assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("a", RANDOM_QV));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> peft.setActiveAdapters("zz"))
                    .getMessage().contains("no adapter named 'zz'"));
            String message = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("n",
                    LoRAConfig.builder().targetModules("nothing_here").build())).getMessage();
            assertTrue(message.contains("selects no module"), message);
            assertFalse(peft.adapters().contains("n"));
        }
    }

    private static List<String> parameterKeys(Block block) {
        List<String> keys = new ArrayList<>();
        block.getParameters().forEach(p -> keys.add(p.getKey()));
        return keys;
    }
}

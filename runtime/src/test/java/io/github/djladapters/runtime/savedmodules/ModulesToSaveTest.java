package io.github.djladapters.runtime.savedmodules;

import io.github.djladapters.runtime.architecture.CopyableBlock;
import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.files.PeftAdapterFiles;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** modules_to_save on the tiny decoder: copies, matching, conflicts, routing, files. */
class ModulesToSaveTest {

    private static final LoRAConfig QV = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE)
            .build();

    @TempDir Path dir;

    @Test
    void aLinearIsCopiedIntoNewTrainableArraysWithTheSameValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear linear = Linear.builder().setUnits(3).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(1, 5));
            linear.freezeParameters(true);
            Block copy = BlockCopies.copy(linear, "head");
            assertInstanceOf(Linear.class, copy);
            Map<String, Parameter> original = ModulePaths.parameters(linear);
            Map<String, Parameter> copied = ModulePaths.parameters(copy);
            assertEquals(List.of("weight", "bias"), new ArrayList<>(copied.keySet()));
            for (String name : original.keySet()) {
                assertNotSame(original.get(name), copied.get(name));
                assertArrayEquals(original.get(name).getArray().toFloatArray(),
                        copied.get(name).getArray().toFloatArray(), name);
                assertTrue(copied.get(name).requiresGradient(), name + " of the copy trains");
            }
            float[] before = original.get("weight").getArray().toFloatArray();
            copied.get("weight").getArray().addi(1f);
            assertArrayEquals(before, original.get("weight").getArray().toFloatArray(), "no shared memory");
            NDArray x = manager.randomNormal(new Shape(2, 5));
            Linear noBias = Linear.builder().setUnits(2).optBias(false).build();
            noBias.initialize(manager, DataType.FLOAT32, new Shape(1, 5));
            assertEquals(Set.of("weight"), ModulePaths.parameters(BlockCopies.copy(noBias, "x")).keySet());
            assertEquals(new Shape(2, 3), copy.forward(new ParameterStore(manager, false),
                    new NDList(x), false).head().getShape());
        }
    }

    @Test
    void aBlockThatCannotBeCopiedIsRefusedAndNothingIsAdded() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            long count = peft.trainableParameters().all();
            String message = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("a",
                    QV.toBuilder().modulesToSave("input_layernorm").build())).getMessage();
            assertTrue(message.contains("'layers.0.input_layernorm'") && message.contains("CopyableBlock"), message);
            assertTrue(peft.adapters().isEmpty());
            assertTrue(peft.adapterLayers().isEmpty());
            assertEquals(count, peft.trainableParameters().all());
        }
    }

    @Test
    void everyMatchingModuleGetsACopyAndUnmatchedEntriesAreIgnored() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            long count = peft.trainableParameters().all();
            peft.addAdapter("a", QV.toBuilder().modulesToSave("down_proj", "score").build());
            List<String> saved = new ArrayList<>();
            for (AdapterLayer<?> layer : peft.adapterLayers()) {
                if (layer instanceof ModulesToSaveLayer) {
                    saved.add(layer.modulePath());
                }
            }
            assertEquals(List.of("layers.0.mlp.down_proj", "layers.1.mlp.down_proj"), saved);
            long copies = 2 * (TinyModel.HIDDEN * TinyModel.FFN + TinyModel.HIDDEN);
            long lora = 2 * 2 * (2 * TinyModel.HIDDEN + TinyModel.HIDDEN * 2);
            assertEquals(count + copies + lora, peft.trainableParameters().all());
            assertEquals(copies + lora, peft.adapterSummary().rows().get(0).parameters());

            peft.addAdapter("b", QV.toBuilder().modulesToSave("layers.1.mlp.down_proj").build());
            ModulesToSaveLayer second = assertInstanceOf(ModulesToSaveLayer.class,
                    ModulePaths.resolve(peft.model(), "layers.1.mlp.down_proj"));
            assertEquals(List.of("a", "b"), new ArrayList<>(second.adapterNames()), "one wrapper, two copies");
            peft.deleteAdapter("a");
            assertInstanceOf(Linear.class, ModulePaths.resolve(peft.model(), "layers.0.mlp.down_proj"));
            assertEquals(List.of("b"), new ArrayList<>(second.adapterNames()));
            peft.deleteAdapter("b");
            assertEquals(count, peft.trainableParameters().all());
            assertTrue(peft.adapterLayers().isEmpty());
        }
    }

    @Test
    void aModuleIsEitherAnAdapterTargetOrAModuleToSave() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            String inside = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("a",
                    QV.toBuilder().targetModules("down_proj").modulesToSave("mlp").build())).getMessage();
            assertTrue(inside.contains("'layers.0.mlp.down_proj'") && inside.contains("'layers.0.mlp'"), inside);
            assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("a",
                    QV.toBuilder().targetModules("q_proj").modulesToSave("q_proj").build()));
            peft.addAdapter("lora", QV.toBuilder().targetModules("up_proj").build());
            String taken = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("b",
                    QV.toBuilder().modulesToSave("up_proj").build())).getMessage();
            assertTrue(taken.contains("LoRALayer"), taken);
            assertEquals(Set.of("lora"), peft.adapters());
        }
    }

    @Test
    void perRowRoutingGivesEachRowItsAdaptersCopy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", QV.toBuilder().modulesToSave("down_proj").build());
            peft.addAdapter("b", QV.toBuilder().r(3).modulesToSave("layers.1.mlp.down_proj").build());
            peft.addAdapter("plain", QV);
            perturbCopies(peft, "a", manager);
            perturbCopies(peft, "b", manager);
            assertThrows(IllegalArgumentException.class, () -> peft.setActiveAdapters("a", "b"));
            List<String> rows = List.of("b", "plain", "a");
            float[] mixed;
            try (NDManager scope = manager.newSubManager()) {
                mixed = peft.forward(new NDList(scope.create(IDS)), rows).head().toFloatArray();
            }
            int width = IDS[0].length * TinyModel.HIDDEN;
            for (int row = 0; row < rows.size(); row++) {
                peft.setActiveAdapters(rows.get(row));
                float[] alone = run(peft, manager);
                assertEquals(0, maxDiff(Arrays.copyOfRange(alone, row * width, (row + 1) * width),
                        Arrays.copyOfRange(mixed, row * width, (row + 1) * width)), 1e-5, "row " + row);
            }
            peft.setActiveAdapters("a");
            float[] unmerged = run(peft, manager);
            peft.mergeAdapter();
            assertEquals(0, maxDiff(unmerged, run(peft, manager)), 1e-5, "merging leaves the copies in use");
        }
    }

    @Test
    void ia3SavesAndLoadsItsCopiesUnderPeftKeys() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("default", IA3Config.builder().initIa3Weights(false).modulesToSave("up_proj").build());
            perturbCopies(peft, "default", manager);
            peft.setActiveAdapters("default");
            float[] adapted = run(peft, manager);
            peft.saveAdapter(dir);
            Set<String> keys;
            try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
                keys = new TreeSet<>(file.tensors().keySet());
            }
            Set<String> expected = new TreeSet<>();
            for (int layer = 0; layer < TinyModel.LAYERS; layer++) {
                String p = "base_model.model.layers." + layer + ".";
                expected.addAll(List.of(p + "self_attn.k_proj.ia3_l", p + "self_attn.v_proj.ia3_l",
                        p + "mlp.down_proj.ia3_l", p + "mlp.up_proj.weight", p + "mlp.up_proj.bias"));
            }
            assertEquals(expected, keys);

            AdapterModel<TinyModel> fresh = tiny(manager, false);
            fresh.loadAdapter(dir);
            fresh.setActiveAdapters("default");
            assertArrayEquals(adapted, run(fresh, manager));
            assertEquals(List.of("up_proj"), fresh.adapterConfig("default").modulesToSave());
        }
    }

    /** Adds noise to every tensor of an adapter's copies. */
    private static void perturbCopies(AdapterModel<?> peft, String adapter, NDManager manager) {
        Set<String> copied = new TreeSet<>();
        for (AdapterLayer<?> layer : peft.adapterLayers()) {
            if (layer instanceof ModulesToSaveLayer && layer.adapterNames().contains(adapter)) {
                copied.add("base_model.model." + layer.modulePath() + ".");
            }
        }
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(peft.adapterTensors(adapter, scope));
            tensors.replaceAll((key, value) -> copied.stream().anyMatch(key::startsWith)
                    ? value.add(scope.randomNormal(0, 0.5f, value.getShape(), value.getDataType())) : value);
            assertFalse(copied.isEmpty());
            peft.loadAdapterTensors(adapter, tensors);
        }
    }
}

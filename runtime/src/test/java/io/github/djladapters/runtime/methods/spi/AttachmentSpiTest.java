package io.github.djladapters.runtime.methods.spi;

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
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.ReferenceWeights;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A method that is not a block wrapper, written against the SPI alone ({@link ValueScaleMethod}, a
 * hook on attention keys and values), goes through the facade like LoRA: add, disable, per-row
 * routing, counts, summary, tensors, training and delete.
 */
class AttachmentSpiTest {

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    @BeforeAll
    static void register() {
        MethodRegistry.register(new ValueScaleMethod());
        MethodRegistry.register(new LayerScaleMethod());
    }

    @org.junit.jupiter.api.AfterAll
    static void unregister() {
        // other tests in this JVM list the registered PEFT types
        MethodRegistry.unregister(ValueScaleMethod.Config.class);
        MethodRegistry.unregister(LayerScaleMethod.Config.class);
    }

    private static AdapterModel<TinyModel> model(NDManager manager) {
        return Adapters.init(new TinyModel(manager, false),
                TinyInterfaces.separate().adapterMethods(AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING, AdapterMethod.REFT)
                        .build());
    }

    private static KeyValueAttention attention(AdapterModel<TinyModel> peft, int layer) {
        return (KeyValueAttention) peft.block(layer, Site.SELF_ATTENTION);
    }

    @Test
    void hookInstallsCountsAndUninstallsThroughTheFacade() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            float[] base = ReferenceWeights.run(peft, manager);
            long all = peft.trainableParameters().all();
            peft.addAdapter("vs", new ValueScaleMethod.Config());
            peft.setActiveAdapters("vs");
            assertTrue(attention(peft, 0).keyValueExtension().isPresent());
            assertEquals(TinyModel.LAYERS, peft.attachments().size());
            // s = 0: values * (1 + 0), the base output exactly
            assertArrayEquals(base, ReferenceWeights.run(peft, manager));
            // formula: one scalar per layer
            assertEquals(all + TinyModel.LAYERS, peft.trainableParameters().all());
            peft.trainAdapter("vs");
            assertEquals(TinyModel.LAYERS, peft.trainableParameters().trainable());
            assertTrue(peft.adapterSummary().toString().contains("value_scale"));

            Map<String, NDArray> tensors = peft.adapterTensors("vs", manager);
            assertEquals(List.of("base_model.model.layers.0.self_attn.value_scale",
                    "base_model.model.layers.1.self_attn.value_scale"), List.copyOf(tensors.keySet()));
            tensors.values().forEach(t -> t.set(new float[] {0.5f}));
            peft.loadAdapterTensors("vs", tensors);
            float[] adapted = ReferenceWeights.run(peft, manager);
            assertTrue(maxDiff(base, adapted) > 1e-3, "a non-zero scale changes the output");
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                assertArrayEquals(base, ReferenceWeights.run(peft, manager));
            }
            assertArrayEquals(adapted, ReferenceWeights.run(peft, manager));

            IllegalStateException merge = assertThrows(IllegalStateException.class, () -> peft.mergeAdapter("vs"));
            assertTrue(merge.getMessage().contains("has no merge"), merge.getMessage());
            assertTrue(peft.mergedAdapters().isEmpty());

            peft.deleteAdapter("vs");
            assertFalse(attention(peft, 0).keyValueExtension().isPresent());
            assertTrue(peft.attachments().isEmpty());
            assertEquals(all, peft.trainableParameters().all());
            assertArrayEquals(base, ReferenceWeights.run(peft, manager));
        }
    }

    @Test
    void routedRowsGetTheirOwnHookAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            peft.addAdapter("vs", new ValueScaleMethod.Config());
            Map<String, NDArray> tensors = peft.adapterTensors("vs", manager);
            tensors.values().forEach(t -> t.set(new float[] {-0.7f}));
            peft.loadAdapterTensors("vs", tensors);
            float[] base = ReferenceWeights.run(peft, manager);
            peft.setActiveAdapters("vs");
            float[] adapted = ReferenceWeights.run(peft, manager);
            peft.setActiveAdapters();
            float[] mixed;
            try (NDManager scope = manager.newSubManager()) {
                mixed = peft.forward(new NDList(scope.create(ReferenceWeights.IDS)), List.of("vs", "", "vs"))
                        .head().toFloatArray();
            }
            int row = mixed.length / 3;
            for (int r = 0; r < 3; r++) {
                float[] expected = r == 1 ? base : adapted;
                for (int i = r * row; i < (r + 1) * row; i++) {
                    assertEquals(expected[i], mixed[i], 1e-5, "row " + r);
                }
            }
        }
    }

    @Test
    void gradientsReachOnlyTheHookParameters() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            peft.addAdapter("vs", new ValueScaleMethod.Config());
            peft.trainAdapter("vs");
            Parameter scale = peft.attachments().get(0).parameters("vs").get(0);
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = peft.model().forward(new ParameterStore(scope, false),
                        new NDList(scope.create(ReferenceWeights.IDS)), true).head();
                collector.backward(out.square().sum());
            }
            assertTrue(Math.abs(scale.getArray().getGradient().getFloat()) > 0, "the hook's scalar gets a gradient");
            for (Parameter parameter : peft.model().getParameters().values()) {
                assertFalse(parameter.requiresGradient(), parameter.getName() + " is frozen");
            }
        }
    }

    @Test
    void layerOutputInterventionInstallsOnTheModelAndComesOffWithTheLastAdapter() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = model(manager);
            float[] base = ReferenceWeights.run(peft, manager);
            peft.addAdapter("a", new LayerScaleMethod.Config());
            peft.addAdapter("b", new LayerScaleMethod.Config());
            assertEquals(1, peft.attachments().size(), "both adapters share the model's one hook");
            assertTrue(peft.model().layerOutputExtension().isPresent());
            peft.setActiveAdapters("a");
            assertArrayEquals(base, ReferenceWeights.run(peft, manager), "s = 0 is the identity");
            // s = (0, -0.5) halves the last layer's output: the whole output halves
            Map<String, NDArray> tensors = peft.adapterTensors("a", manager);
            assertEquals(List.of("base_model.model.layer_scale"), List.copyOf(tensors.keySet()));
            peft.loadAdapterTensors("a", Map.of("base_model.model.layer_scale", manager.create(new float[] {0, -0.5f})));
            float[] halved = ReferenceWeights.run(peft, manager);
            for (int i = 0; i < base.length; i++) {
                assertEquals(base[i] / 2, halved[i], 1e-6, "element " + i);
            }

            // PEFT's layout with the method's own file key, and back into a fresh model
            peft.saveAdapter(dir, "a");
            try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("a").resolve("adapter_model.safetensors"))) {
                assertEquals(java.util.Set.of("layer_scale"), file.tensors().keySet());
            }
            AdapterModel<TinyModel> fresh = model(manager);
            fresh.loadAdapter(dir.resolve("a"), "a");
            fresh.setActiveAdapters("a");
            assertArrayEquals(halved, ReferenceWeights.run(fresh, manager));

            peft.deleteAdapter("a");
            assertTrue(peft.model().layerOutputExtension().isPresent(), "b still holds the hook");
            peft.deleteAdapter("b");
            assertFalse(peft.model().layerOutputExtension().isPresent());
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

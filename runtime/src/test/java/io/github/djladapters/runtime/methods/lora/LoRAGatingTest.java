package io.github.djladapters.runtime.methods.lora;

import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapters library's gated LoRA: {@code y = W x + b + (B A x) * mean_t sigmoid(G x + g)}. */
class LoRAGatingTest {

    private static final LoRAConfig GATED = LoRAConfig.builder().r(2).loraAlpha(4).targetModules("q_proj")
            .initLoraWeights(LoRAInit.NONE).useGating(true).build();

    @Test
    void gatedOutputMatchesAPlainJavaComputation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("g", GATED);
            peft.setActiveAdapters("g");
            LoRALayer layer = (LoRALayer) peft.adapterLayers().get(0);
            LoRAWeights w = layer.adapter("g");
            int in = Math.toIntExact(layer.linear().inFeatures());
            int out = Math.toIntExact(layer.linear().outFeatures());
            int batch = 3;
            int seq = 4;
            float[] x = new float[batch * seq * in];
            Random random = new Random(3);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            NDArray input = manager.create(x, new Shape(batch, seq, in));
            float[] actual = layer.forward(new ParameterStore(manager, false), new NDList(input), false).head()
                    .toFloatArray();

            float[] weight = layer.linear().weight().getArray().toFloatArray(); // [out, in]
            float[] bias = layer.linear().bias().getArray().toFloatArray();
            float[] a = w.loraA().getArray().toFloatArray(); // [r, in]
            float[] b = w.loraB().getArray().toFloatArray(); // [out, r]
            float[] g = w.gateWeight().getArray().toFloatArray(); // [1, in]
            float gb = w.gateBias().getArray().toFloatArray()[0];
            int r = w.rank();
            float[] expected = new float[batch * seq * out];
            for (int n = 0; n < batch; n++) {
                double gate = 0;
                for (int t = 0; t < seq; t++) {
                    double z = gb;
                    for (int i = 0; i < in; i++) {
                        z += g[i] * x[(n * seq + t) * in + i];
                    }
                    gate += 1 / (1 + Math.exp(-z)) / seq;
                }
                for (int t = 0; t < seq; t++) {
                    int row = (n * seq + t) * in;
                    double[] down = new double[r];
                    for (int k = 0; k < r; k++) {
                        for (int i = 0; i < in; i++) {
                            down[k] += a[k * in + i] * x[row + i];
                        }
                    }
                    for (int o = 0; o < out; o++) {
                        double y = bias[o];
                        for (int i = 0; i < in; i++) {
                            y += weight[o * in + i] * x[row + i];
                        }
                        double up = 0;
                        for (int k = 0; k < r; k++) {
                            up += b[o * r + k] * down[k];
                        }
                        expected[(n * seq + t) * out + o] = (float) (y + up * gate);
                    }
                }
            }
            assertArrayEquals(expected, actual, 1e-4f);
        }
    }

    @Test
    void theGateIsTrainedAndRoundTripsThroughAdapterTensors() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("g", GATED);
            peft.trainAdapter("g");
            assertEquals(2 * (2 * 8 + 8 * 2 + 8 + 1), peft.trainableParameters().trainable(),
                    "A, B and the gate of q_proj in two layers");
            Map<String, NDArray> tensors = peft.adapterTensors("g", manager);
            assertTrue(tensors.containsKey("base_model.model.layers.0.self_attn.q_proj.gate.weight"), tensors.keySet()
                    .toString());
            AdapterModel<TinyModel> other = tiny(manager, false);
            other.addAdapter("g", GATED);
            other.loadAdapterTensors("g", tensors);
            for (Map.Entry<String, NDArray> entry : other.adapterTensors("g", manager).entrySet()) {
                assertArrayEquals(tensors.get(entry.getKey()).toFloatArray(), entry.getValue().toFloatArray(),
                        entry.getKey());
            }
        }
    }

    @Test
    void aGatedAdapterIsNeitherMergedNorSavedInPeftsFormat(@TempDir Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("g", GATED);
            float[] before = peft.model().getParameters().get(0).getValue().getArray().toFloatArray();
            String merge = assertThrows(IllegalStateException.class, () -> peft.mergeAdapter("g")).getMessage();
            assertTrue(merge.contains("uses gating"), merge);
            assertTrue(peft.mergedAdapters().isEmpty());
            assertArrayEquals(before, peft.model().getParameters().get(0).getValue().getArray().toFloatArray());
            String save = assertThrows(IllegalArgumentException.class, () -> peft.saveAdapter(dir, "g")).getMessage();
            assertTrue(save.contains("use_gating"), save);
            assertTrue(Files.notExists(dir.resolve("g").resolve("adapter_model.safetensors")));
            assertThrows(IllegalArgumentException.class,
                    () -> peft.addAdapter("d", GATED.toBuilder().useDora(true).build()));
        }
    }
}

package io.github.djladapters.runtime.methods.lora;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.dora;
import static io.github.djladapters.runtime.methods.ReferenceWeights.lora;
import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.rowNorms;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tensors;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LoRA on {@code [in, out]} weights, and DoRA, against plain-Java weights. */
class FanInFanOutAndDoRATest {

    private static final String P = "base_model.model.";
    private static final int H = TinyModel.HIDDEN;

    @Test
    void loraOnFanInFanOutWeightsMatchesAndMergesTransposed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            for (int l = 0; l < 2; l++) {
                String o = "layers." + l + ".self_attn.o_proj";
                peft.replace(l, Site.O_PROJ, new Conv1DProjection(manager, base.get(o + ".weight"),
                        base.get(o + ".bias"), H, H));
            }
            float[] baseOut = new TinyReference(base).run(IDS);
            assertEquals(0, maxDiff(baseOut, run(peft, manager)), 1e-5, "Conv1D computes what Linear did");
            peft.addAdapter("a", LoRAConfig.builder().r(2).loraAlpha(2).targetModules("o_proj").fanInFanOut(true)
                    .initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("a");
            Map<String, float[]> t = tensors(peft, "a", manager);
            Map<String, float[]> w = new HashMap<>(base);
            for (int l = 0; l < 2; l++) {
                String o = "layers." + l + ".self_attn.o_proj";
                w.put(o + ".weight", lora(base.get(o + ".weight"), t.get(P + o + ".lora_A.weight"),
                        t.get(P + o + ".lora_B.weight"), 1.0, null));
            }
            float[] expected = new TinyReference(w).run(IDS);
            assertEquals(0, maxDiff(expected, run(peft, manager)), 1e-4);
            peft.mergeAdapter("a");
            assertEquals(0, maxDiff(expected, run(peft, manager)), 1e-4);
            Conv1DProjection conv = (Conv1DProjection) ((LoRALayer) peft.block(0, Site.O_PROJ)).base();
            float[] stored = conv.weight().getArray().toFloatArray();
            float[] outIn = w.get("layers.0.self_attn.o_proj.weight");
            float[] inOut = new float[outIn.length];
            for (int o = 0; o < H; o++) {
                for (int i = 0; i < H; i++) {
                    inOut[i * H + o] = outIn[o * H + i];
                }
            }
            assertEquals(0, maxDiff(inOut, stored), 1e-5,
                    "the merged [in, out] weight is the transposed W + s B A");
            peft.unmergeAdapter("a");
            assertEquals(0, maxDiff(expected, run(peft, manager)), 1e-4, "unmerged, still active");
            peft.unload();
            assertEquals(0, maxDiff(baseOut, run(peft, manager)), 1e-5, "base weights restored");
        }
    }

    @Test
    void doraForwardMatchesPlainJavaDoraAndMergedEqualsUnmerged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            peft.addAdapter("d", LoRAConfig.builder().r(2).loraAlpha(4).useDora(true).attnMatrices("q", "v")
                    .intermediateLora(true).initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("d");
            String[] modules = {"self_attn.q_proj", "self_attn.v_proj", "mlp.up_proj"};
            Map<String, NDArray> exported = peft.adapterTensors("d", manager);
            Map<String, float[]> t = tensors(peft, "d", manager);
            for (int l = 0; l < 2; l++) {
                for (String m : modules) {
                    String key = "layers." + l + "." + m;
                    float[] initial = rowNorms(base.get(key + ".weight"), t.get(P + key + ".lora_A.weight"),
                            t.get(P + key + ".lora_B.weight"), 2.0);
                    assertEquals(0, maxDiff(initial, t.get(P + key + ".lora_magnitude_vector")), 1e-5,
                            "DoRA starts with m = |W + s B A| per row, as PEFT");
                    // A trained magnitude differs from the norm; scale it so the test sees m's effect.
                    NDArray m2 = exported.get(P + key + ".lora_magnitude_vector").mul(1.5).add(0.1);
                    exported.put(P + key + ".lora_magnitude_vector", m2);
                }
            }
            peft.loadAdapterTensors("d", exported);
            t = tensors(peft, "d", manager);
            Map<String, float[]> w = new HashMap<>(base);
            for (int l = 0; l < 2; l++) {
                for (String m : modules) {
                    String key = "layers." + l + "." + m;
                    w.put(key + ".weight", dora(base.get(key + ".weight"), t.get(P + key + ".lora_A.weight"),
                            t.get(P + key + ".lora_B.weight"), 2.0, t.get(P + key + ".lora_magnitude_vector")));
                }
            }
            float[] expected = new TinyReference(w).run(IDS);
            float[] unmerged = run(peft, manager);
            assertEquals(0, maxDiff(expected, unmerged), 1e-4);
            peft.mergeAdapter("d");
            assertEquals(0, maxDiff(unmerged, run(peft, manager)), 1e-4);
            peft.unmergeAdapter("d");
            Map<String, float[]> restored = TinyReference.weightsOf(peft.unload());
            base.forEach((k, v) -> assertEquals(0, maxDiff(v, restored.get(k)), 1e-5, k));
        }
    }
}

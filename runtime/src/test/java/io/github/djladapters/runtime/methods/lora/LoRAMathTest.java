package io.github.djladapters.runtime.methods.lora;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.lora;
import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tensors;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LoRA's forward against W + s B A computed in plain Java, for the scalings, patterns and layouts. */
class LoRAMathTest {

    static final String P = "base_model.model.";

    /** Replaces each named weight by W + s B A from the adapter's exported tensors. */
    static Map<String, float[]> merged(Map<String, float[]> base, Map<String, float[]> t, List<String> modules,
            double scaling) {
        Map<String, float[]> w = new HashMap<>(base);
        for (String m : modules) {
            w.put(m + ".weight", lora(base.get(m + ".weight"), t.get(P + m + ".lora_A.weight"),
                    t.get(P + m + ".lora_B.weight"), scaling, null));
        }
        return w;
    }

    @Test
    void defaultInitLeavesOutputExactlyUnchanged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            float[] before = run(peft, manager);
            peft.addAdapter("a", LoRAConfig.builder().r(2).build());
            peft.setActiveAdapters("a");
            assertArrayEquals(before, run(peft, manager));
        }
    }

    @Test
    void loraOutputDiffersFromBaseAndMatchesPlainJavaMergedWeights() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            peft.addAdapter("a", LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("a");
            float[] out = run(peft, manager);
            assertTrue(maxDiff(out, new TinyReference(base).run(IDS)) > 1e-3, "adapter changes the output");
            List<String> qv = List.of("layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj",
                    "layers.1.self_attn.q_proj", "layers.1.self_attn.v_proj");
            Map<String, float[]> t = tensors(peft, "a", manager);
            assertEquals(8, t.size(), "A and B for q and v of two layers");
            assertEquals(0, maxDiff(out, new TinyReference(merged(base, t, qv, 4.0 / 2)).run(IDS)), 1e-4);
        }
    }

    @Test
    void rsloraScalesByAlphaOverSquareRootOfRank() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            peft.addAdapter("a", LoRAConfig.builder().r(4).loraAlpha(6).useRslora(true)
                    .initLoraWeights(LoRAInit.NONE).targetModules("o_proj").build());
            peft.setActiveAdapters("a");
            LoRALayer layer = (LoRALayer) peft.adapterLayers().get(0);
            assertEquals(6 / Math.sqrt(4), layer.adapter("a").scaling(), 1e-12);
            Map<String, float[]> t = tensors(peft, "a", manager);
            List<String> o = List.of("layers.0.self_attn.o_proj", "layers.1.self_attn.o_proj");
            assertEquals(0, maxDiff(run(peft, manager), new TinyReference(merged(base, t, o, 3.0)).run(IDS)), 1e-4);
        }
    }

    @Test
    void rankAndAlphaPatternsApplyByModuleNameAsPeftMatchesThem() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", LoRAConfig.builder().r(8).loraAlpha(8).targetModules("q_proj", "v_proj")
                    .rankPattern(Map.of("q_proj", 2)).alphaPattern(Map.of("layers\\.1\\.self_attn\\.v_proj", 32))
                    .build());
            Map<String, Shape> shapes = new HashMap<>();
            Map<String, Double> scalings = new HashMap<>();
            for (AdapterLayer<?> layer : peft.adapterLayers()) {
                LoRAWeights w = ((LoRALayer) layer).adapter("a");
                shapes.put(layer.modulePath(), w.loraA().getArray().getShape());
                scalings.put(layer.modulePath(), w.scaling());
            }
            assertEquals(new Shape(2, 8), shapes.get("layers.0.self_attn.q_proj"));
            assertEquals(new Shape(2, 8), shapes.get("layers.1.self_attn.q_proj"));
            assertEquals(new Shape(8, 8), shapes.get("layers.0.self_attn.v_proj"));
            assertEquals(8.0 / 2, scalings.get("layers.0.self_attn.q_proj"));
            assertEquals(1.0, scalings.get("layers.0.self_attn.v_proj"));
            assertEquals(32.0 / 8, scalings.get("layers.1.self_attn.v_proj"));
            // A key matches whole dotted names only: "proj" is no suffix match of "q_proj" here.
            assertEquals(8, LoRAMethod.patternValue(Map.of("proj", 2), "layers.0.self_attn.q_proj", 8));
        }
    }

    @Test
    void fusedQkvWithOnlyQAndVChangesOnlyThoseSlicesAndSavesFullWidthB() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, true);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            peft.addAdapter("a", LoRAConfig.builder().r(2).loraAlpha(2).attnMatrices("q", "v")
                    .initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("a");
            Map<String, float[]> t = tensors(peft, "a", manager);
            String m = "layers.0.self_attn.qkv_proj";
            float[] b = t.get(P + m + ".lora_B.weight");
            assertEquals(3 * TinyModel.HIDDEN * 2, b.length, "B spans the whole fused output");
            boolean[] qv = new boolean[3 * TinyModel.HIDDEN];
            for (int row = 0; row < qv.length; row++) {
                qv[row] = row < TinyModel.HIDDEN || row >= 2 * TinyModel.HIDDEN;
                for (int k = 0; k < 2; k++) {
                    assertTrue(qv[row] || b[row * 2 + k] == 0f, "k rows of B are zero on disk");
                }
            }
            Map<String, float[]> w = new HashMap<>(base);
            for (int l = 0; l < 2; l++) {
                String key = "layers." + l + ".self_attn.qkv_proj";
                w.put(key + ".weight", lora(base.get(key + ".weight"), t.get(P + key + ".lora_A.weight"),
                        t.get(P + key + ".lora_B.weight"), 1.0, qv));
            }
            float[] out = run(peft, manager);
            assertEquals(0, maxDiff(out, new TinyReference(w).run(IDS)), 1e-4);
            peft.mergeAdapter("a");
            assertEquals(0, maxDiff(out, run(peft, manager)), 1e-4);
        }
    }

    @Test
    void fusedQkvTargetedByNameGetsOneFullWidthLoRA() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, true);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            peft.addAdapter("a", LoRAConfig.builder().r(2).loraAlpha(2).targetModules("qkv_proj")
                    .initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("a");
            Map<String, float[]> t = tensors(peft, "a", manager);
            List<String> qkv = List.of("layers.0.self_attn.qkv_proj", "layers.1.self_attn.qkv_proj");
            assertEquals(0, maxDiff(run(peft, manager), new TinyReference(merged(base, t, qkv, 1.0)).run(IDS)),
                    1e-4);
        }
    }

    @Test
    void targetModulesRegexLayersToTransformAndLeaveOutSelectModules() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("regex", LoRAConfig.builder()
                    .targetModules(io.github.djladapters.runtime.methods.TargetModules.regex(
                            ".*\\.0\\.self_attn\\.(q|v)_proj")).build());
            peft.addAdapter("layer1", LoRAConfig.builder().targetModules("up_proj")
                    .layersToTransform(List.of(1)).build());
            peft.addAdapter("leave0", LoRAConfig.builder().attnMatrices("k").leaveOut(List.of(0)).build());
            Map<String, List<String>> where = new HashMap<>();
            for (AdapterLayer<?> layer : peft.adapterLayers()) {
                for (String name : layer.adapterNames()) {
                    where.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(layer.modulePath());
                }
            }
            assertEquals(List.of("layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj"), where.get("regex"));
            assertEquals(List.of("layers.1.mlp.up_proj"), where.get("layer1"));
            assertEquals(List.of("layers.1.self_attn.k_proj"), where.get("leave0"));
        }
    }
}

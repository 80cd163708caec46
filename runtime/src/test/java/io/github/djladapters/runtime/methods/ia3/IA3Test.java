package io.github.djladapters.runtime.methods.ia3;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.scaleColumns;
import static io.github.djladapters.runtime.methods.ReferenceWeights.scaleRows;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tensors;
import static io.github.djladapters.runtime.methods.ReferenceWeights.times;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** IA3 against plain-Java scaled weights: keys and values scale outputs, down_proj its input. */
class IA3Test {

    private static final String P = "base_model.model.";

    @Test
    void ia3ScalesKeysValuesAndFeedForwardInputAndMerges() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            Map<String, float[]> base = TinyReference.weightsOf(peft.model());
            float[] baseOut = run(peft, manager);
            peft.addAdapter("i", IA3Config.builder().build());
            peft.setActiveAdapters("i");
            assertArrayEquals(baseOut, run(peft, manager), "ia3_l starts at ones");
            Map<String, NDArray> exported = peft.adapterTensors("i", manager);
            assertEquals(new Shape(8, 1), exported.get(P + "layers.0.self_attn.k_proj.ia3_l").getShape());
            assertEquals(new Shape(1, 12), exported.get(P + "layers.0.mlp.down_proj.ia3_l").getShape());
            exported.replaceAll((k, v) -> manager.randomUniform(0.5f, 1.5f, v.getShape()));
            peft.loadAdapterTensors("i", exported);
            Map<String, float[]> t = tensors(peft, "i", manager);
            Map<String, float[]> w = new HashMap<>(base);
            for (int l = 0; l < 2; l++) {
                for (String m : new String[] {"self_attn.k_proj", "self_attn.v_proj"}) {
                    String key = "layers." + l + "." + m;
                    float[] scale = t.get(P + key + ".ia3_l");
                    w.put(key + ".weight", scaleRows(base.get(key + ".weight"), scale));
                    w.put(key + ".bias", times(base.get(key + ".bias"), scale));
                }
                String down = "layers." + l + ".mlp.down_proj";
                w.put(down + ".weight", scaleColumns(base.get(down + ".weight"), t.get(P + down + ".ia3_l")));
            }
            float[] expected = new TinyReference(w).run(IDS);
            float[] unmerged = run(peft, manager);
            assertEquals(0, maxDiff(expected, unmerged), 1e-4);
            peft.mergeAdapter("i");
            assertEquals(0, maxDiff(unmerged, run(peft, manager)), 1e-4);
            peft.unmergeAdapter("i");
            Map<String, float[]> restored = TinyReference.weightsOf(peft.unload());
            base.forEach((k, v) -> assertEquals(0, maxDiff(v, restored.get(k)), 1e-5, k));
        }
    }

    @Test
    void ia3ByPeftTargetModulesMarksFeedForwardModules() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("i", IA3Config.builder().targetModules("k_proj", "up_proj").feedforwardModules("up_proj").build());
            Map<String, NDArray> exported = peft.adapterTensors("i", manager);
            assertEquals(4, exported.size());
            assertEquals(new Shape(1, 8), exported.get(P + "layers.1.mlp.up_proj.ia3_l").getShape());
            assertEquals(new Shape(8, 1), exported.get(P + "layers.1.self_attn.k_proj.ia3_l").getShape());
        }
    }
}

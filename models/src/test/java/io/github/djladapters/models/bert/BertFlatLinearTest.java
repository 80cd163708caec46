package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.architecture.FlatLinear;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BERT's projections are {@link FlatLinear}s: Hugging Face names, checkpoint loading, merging and unmerging LoRA. */
class BertFlatLinearTest {

    private static final List<String> PROJECTIONS = List.of("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

    @TempDir
    Path dir;

    @Test
    void projectionsAreFlatLinearsUnderTheCheckpointsNames() throws Exception {
        try (TinyBertUnderTest bert = new TinyBertUnderTest(dir)) {
            BertModel model = bert.model().model();
            assertEquals(TinyCheckpoints.shapes(TinyBertUnderTest.CONFIG).keySet(),
                    ModulePaths.parameters(model).keySet());
            for (int layer = 0; layer < TinyBertUnderTest.CONFIG.numHiddenLayers(); layer++) {
                for (String projection : PROJECTIONS) {
                    assertInstanceOf(FlatLinear.class,
                            ModulePaths.resolve(model, "encoder.layer." + layer + "." + projection));
                }
            }
        }
    }

    @Test
    void loraMergedIntoFlatLinearsGivesTheUnmergedOutputAndUnmergesBack() throws Exception {
        try (TinyBertUnderTest bert = new TinyBertUnderTest(dir)) {
            AdapterModel<BertModel> peft = bert.model();
            float[] base = bert.run(peft);
            Map<String, float[]> before = weights(peft);
            peft.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8)
                    .targetModules("query", "value", "intermediate.dense").initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("lora");
            assertEquals(2 * 3, peft.adapterLayers().size());
            float[] unmerged = bert.run(peft);
            assertTrue(maxDifference(base, unmerged) > 1e-2, "the adapter changes the output");

            peft.mergeAdapter("lora");
            assertArrayEquals(unmerged, bert.run(peft), 1e-5f);
            peft.unmergeAdapter("lora");
            Map<String, float[]> after = weights(peft);
            assertEquals(before.keySet(), after.keySet());
            for (Map.Entry<String, float[]> entry : before.entrySet()) {
                assertArrayEquals(entry.getValue(), after.get(entry.getKey()), 1e-6f, entry.getKey());
            }
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                assertArrayEquals(base, bert.run(peft), 1e-5f);
            }
        }
    }

    private static Map<String, float[]> weights(AdapterModel<BertModel> peft) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> entry : ModulePaths.parameters(peft.model()).entrySet()) {
            if (!entry.getKey().contains("lora_")) {
                // by the parameter's id: wrapping a module renames its parameters (base_layer)
                weights.put(entry.getValue().getId(), entry.getValue().getArray().toFloatArray());
            }
        }
        return weights;
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

package io.github.djladapters.runtime.methods.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.methods.TargetModules;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LoRAConfig reads and writes PEFT's adapter_config.json field names. */
class LoRAConfigJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsPeftConfigKeepingDefaultsForAbsentKeysAndIgnoringUnknownOnes() throws Exception {
        LoRAConfig config = JSON.readValue("""
                {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 16, "lora_alpha": 32,
                 "target_modules": ["q_proj", "v_proj"], "layers_to_transform": 1,
                 "init_lora_weights": "gaussian", "use_rslora": true, "rank_pattern": {"q_proj": 4},
                 "some_future_key": 3}""", LoRAConfig.class);
        assertEquals(16, config.r());
        assertEquals(32, config.loraAlpha());
        assertEquals(TargetModules.names("q_proj", "v_proj"), config.targetModules());
        assertEquals(List.of(1), config.layersToTransform());
        assertEquals(LoRAInit.GAUSSIAN, config.initLoraWeights());
        assertTrue(config.useRslora());
        assertEquals(Map.of("q_proj", 4), config.rankPattern());
        assertEquals("none", config.bias());
        assertEquals(List.of("q", "v"), config.attnMatrices(), "adapters-library default");
        assertNull(config.modulesToSave());
    }

    @Test
    void writesPeftFieldNamesAndValueForms() throws Exception {
        LoRAConfig config = LoRAConfig.builder().targetModules(TargetModules.regex(".*attn.*")).build();
        JsonNode node = JSON.valueToTree(config);
        assertEquals("LORA", node.get("peft_type").asText());
        assertEquals(".*attn.*", node.get("target_modules").asText());
        assertTrue(node.get("init_lora_weights").isBoolean());
        assertEquals(8, node.get("lora_alpha").asInt());
        assertEquals(config, JSON.treeToValue(node, LoRAConfig.class));
    }

    @Test
    void unsupportedInitIsRefusedByName() {
        Exception e = assertThrows(Exception.class,
                () -> JSON.readValue("{\"init_lora_weights\": \"pissa\"}", LoRAConfig.class));
        assertTrue(String.valueOf(e.getMessage()).contains("pissa"), e.getMessage());
    }
}

package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TransformersFixture;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRAs saved by PEFT on the tiny GPT-2 (on the fused Conv1D {@code c_attn}, {@code fan_in_fan_out})
 * and the tiny Llama (on {@code q_proj}, {@code v_proj}) load through the DSL bindings of our models
 * and reproduce PEFT's adapter logits, merged logits and greedy generations.
 */
class PeftDecoderLoraFixtureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void peftLoraReproducesAdapterLogitsAndGenerations(String name) throws Exception {
        TransformersFixture fixture = TransformersFixture.open(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel base = name.startsWith("gpt2")
                    ? GPT2Models.fromCheckpoint(fixture.base(), manager)
                    : LlamaModels.fromCheckpoint(fixture.base(), manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(base);
            adapters.loadAdapter(fixture.lora());
            adapters.setActiveAdapters("default");

            double adapted = fixture.maxLogitDifference(base, manager, "adapter_logits");
            System.out.println(name + " PEFT LoRA logits max abs diff vs PEFT: " + adapted);
            assertTrue(adapted < 1e-4, "adapter logits differ by " + adapted);
            List<int[]> prompts = fixture.prompts();
            Generator generator = new Generator(base);
            for (int i = 0; i < prompts.size(); i++) {
                int[] ours = generator.generate(manager, List.of(prompts.get(i)), GenerationConfig.greedy(8)).get(0);
                assertArrayEquals(fixture.generated("generate_adapter", i), ours, "case " + i);
            }
            adapters.mergeAdapter("default");
            double merged = fixture.maxLogitDifference(base, manager, "adapter_logits");
            assertTrue(merged < 1e-4, "merged logits differ by " + merged);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void anAdapterWeSaveForTheSameConfigHasPeftsKeysShapesAndConfigKeys(String name, @TempDir Path out)
            throws Exception {
        TransformersFixture fixture = TransformersFixture.open(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel base = name.startsWith("gpt2")
                    ? GPT2Models.fromCheckpoint(fixture.base(), manager)
                    : LlamaModels.fromCheckpoint(fixture.base(), manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(base);
            LoRAConfig config = JSON.readValue(fixture.lora().resolve("adapter_config.json").toFile(), LoRAConfig.class);
            adapters.addAdapter("default", config);
            adapters.baseModelNameOrPath("../base").saveAdapter(out);
        }
        try (SafetensorsFile peft = SafetensorsFile.open(fixture.lora().resolve("adapter_model.safetensors"));
                SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(peft.tensors().keySet(), ours.tensors().keySet());
            for (Map.Entry<String, TensorInfo> entry : peft.tensors().entrySet()) {
                assertEquals(entry.getValue().shape(), ours.tensors().get(entry.getKey()).shape(), entry.getKey());
            }
            assertEquals(peft.metadata(), ours.metadata());
        }
        JsonNode peftConfig = JSON.readTree(fixture.lora().resolve("adapter_config.json").toFile());
        JsonNode ourConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(keys(peftConfig), keys(ourConfig));
        for (String key : List.of("peft_type", "r", "lora_alpha", "target_modules", "fan_in_fan_out", "use_rslora",
                "use_dora", "bias", "base_model_name_or_path")) {
            assertEquals(key.equals("target_modules") ? keys(peftConfig.get(key)) : peftConfig.get(key),
                    key.equals("target_modules") ? keys(ourConfig.get(key)) : ourConfig.get(key), key);
        }
    }

    /** An object's field names, or an array's values (PEFT writes {@code target_modules} from a set). */
    private static Set<String> keys(JsonNode node) {
        Set<String> keys = new TreeSet<>();
        if (node.isArray()) {
            node.forEach(value -> keys.add(value.asText()));
        } else {
            node.fieldNames().forEachRemaining(keys::add);
        }
        return keys;
    }
}

package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            LoRAConfig config = JSON.readValue(fixture.lora().resolve("adapter_config.json").toFile(), LoRAConfig.class);
            adapters.addAdapter("default", config);
            adapters.loadAdapterTensors("default", readTensors(fixture.lora().resolve("adapter_model.safetensors"), manager));
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

    private static Map<String, NDArray> readTensors(Path file, NDManager manager) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile peft = SafetensorsFile.open(file)) {
            for (Map.Entry<String, TensorInfo> entry : peft.tensors().entrySet()) {
                FloatBuffer data = peft.readFloat32(entry.getKey()).asFloatBuffer();
                float[] values = new float[data.remaining()];
                data.get(values);
                tensors.put(entry.getKey(), manager.create(values, entry.getValue().shape()));
            }
        }
        return tensors;
    }
}

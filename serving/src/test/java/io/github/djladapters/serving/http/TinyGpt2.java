package io.github.djladapters.serving.http;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.serving.registry.RandomAdapterWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The tiny GPT-2 of the models module's fixtures (vocabulary 128, written by transformers) in a
 * model folder with a word-level tokenizer ({@code w0} ... {@code w127}), and LoRA adapters for it;
 * the tiny Llama of the same fixtures ({@link #LLAMA}, vocabulary 128 too) the same way.
 */
public final class TinyGpt2 {

    public static final Path FIXTURE = Path.of("..", "models", "src", "test", "resources", "fixtures", "gpt2-tiny");
    /** The tiny Llama (2 layers, hidden 64, grouped-query attention), which decodes with the fused step. */
    public static final Path LLAMA = FIXTURE.resolveSibling("llama-tiny");

    private TinyGpt2() {}

    /** Writes the model folder: the fixture's config and weights plus tokenizer.json. */
    public static void writeModel(Path dir) throws IOException {
        writeModel(FIXTURE, dir);
    }

    /** Writes the model folder of a fixture ({@link #FIXTURE} or {@link #LLAMA}) with the word-level tokenizer. */
    public static void writeModel(Path fixture, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.copy(fixture.resolve("base/config.json"), dir.resolve("config.json"));
        Files.copy(fixture.resolve("base/model.safetensors"), dir.resolve("model.safetensors"));
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 128; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w0\"}}");
    }

    /** Writes a LoRA on c_attn and c_fc with random A and B. */
    public static void writeLora(Path modelDir, Path dir, long seed) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<GPT2LMHeadModel> scratch = Adapters.init(GPT2Models.fromCheckpoint(modelDir, manager));
            scratch.addAdapter("x", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("c_attn", "c_fc").fanInFanOut(true).build());
            saveRandom(scratch, manager, seed, dir);
        }
    }

    /** Writes a LoRA on q_proj and v_proj of the tiny Llama ({@link #LLAMA}'s folder) with random A and B. */
    public static void writeLlamaLora(Path modelDir, Path dir, long seed) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<LlamaForCausalLM> scratch = Adapters.init(LlamaModels.fromCheckpoint(modelDir, manager));
            scratch.addAdapter("x", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("q_proj", "v_proj").build());
            saveRandom(scratch, manager, seed, dir);
        }
    }

    /** Gives adapter {@code x} normal random weights (standard deviation 0.6) and saves it to {@code dir}. */
    private static void saveRandom(AdapterModel<?> scratch, NDManager manager, long seed, Path dir) throws IOException {
        RandomAdapterWeights.fill(scratch, "x", manager, new Random(seed), 0.6f);
        scratch.saveAdapterFolder("x", dir);
    }
}

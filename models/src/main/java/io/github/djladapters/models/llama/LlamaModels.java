package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.checkpoint.CausalLMCheckpoint;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds and saves Llama-family models (llama, mistral, qwen2) as Hugging Face model directories
 * (config.json + safetensors, single or sharded).
 *
 * <pre>{@code
 * LlamaForCausalLM llama = LlamaModels.fromCheckpoint(Path.of("Qwen2-0.5B"), manager);
 * }</pre>
 */
public final class LlamaModels {

    private LlamaModels() {}

    /**
     * Loads a model directory. A tied model's checkpoint may still carry {@code lm_head.weight};
     * it is then reported as unexpected, and the head uses {@code embed_tokens}.
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded model
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static LlamaForCausalLM fromCheckpoint(Path dir, NDManager manager) throws IOException {
        LlamaConfig config = CheckpointDirectory.config(dir, LlamaConfig::read, LlamaConfig::parameterCount);
        // rotary inverse frequencies are a buffer in older checkpoints, recomputed from rope_theta here
        return CausalLMCheckpoint.load(new LlamaForCausalLM(config), dir, manager, "model", "embed_tokens.weight",
                key -> key.endsWith("rotary_emb.inv_freq"));
    }

    /**
     * Writes {@code config.json} and one {@code model.safetensors} with every parameter under its
     * Hugging Face name.
     *
     * @param model a loaded or initialised model
     * @param dir the directory to create or overwrite files in
     * @throws IOException when writing fails
     */
    public static void save(LlamaForCausalLM model, Path dir) throws IOException {
        CheckpointDirectory.save(model, model.config().toJson(), dir);
    }
}

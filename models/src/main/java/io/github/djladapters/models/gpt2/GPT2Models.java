package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.checkpoint.CausalLMCheckpoint;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds GPT-2 models from Hugging Face model directories (config.json + safetensors).
 *
 * <pre>{@code
 * GPT2LMHeadModel gpt2 = GPT2Models.fromCheckpoint(Path.of("gpt2"), manager);
 * }</pre>
 */
public final class GPT2Models {

    private GPT2Models() {}

    /**
     * Loads a {@code GPT2LMHeadModel} or bare {@code GPT2Model} directory; a bare model's keys
     * ({@code h.0...}) are read under {@code transformer.}, and legacy attention-mask buffers
     * ({@code attn.bias}, {@code attn.masked_bias}) are reported as unexpected.
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded model
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static GPT2LMHeadModel fromCheckpoint(Path dir, NDManager manager) throws IOException {
        GPT2Config config = CheckpointDirectory.config(dir, GPT2Config::read, GPT2Config::parameterCount);
        // the causal-mask buffers of older checkpoints carry no weights
        return CausalLMCheckpoint.load(new GPT2LMHeadModel(config), dir, manager, "transformer", "wte.weight",
                key -> key.endsWith(".attn.bias") || key.endsWith(".attn.masked_bias"));
    }
}

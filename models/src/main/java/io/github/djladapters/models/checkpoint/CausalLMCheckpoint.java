package io.github.djladapters.models.checkpoint;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Loads the weights of a decoder-only causal language model (GPT-2, the Llama family) from a model
 * directory. The decoder's keys are read with or without its base prefix ({@code transformer.h.0...}
 * from a {@code GPT2LMHeadModel}, {@code h.0...} from a bare {@code GPT2Model}). When the model ties
 * its head to the token table (it has no {@code lm_head.weight} parameter), a saved
 * {@code lm_head.weight} is skipped only when it holds exactly the table's values (see
 * {@link TiedCopies}). Buffers that carry no weights are reported as unexpected instead of failing
 * the load.
 *
 * <pre>{@code
 * LlamaForCausalLM model = CausalLMCheckpoint.load(new LlamaForCausalLM(config), dir, manager,
 *         "model", "embed_tokens.weight", key -> key.endsWith("rotary_emb.inv_freq"));
 * }</pre>
 */
public final class CausalLMCheckpoint {

    private static final String LM_HEAD = "lm_head.weight";

    private CausalLMCheckpoint() {}

    /**
     * Initialises {@code model} and loads the weights of {@code dir} into it, all or nothing.
     *
     * @param <M> the model type
     * @param model a model with Hugging Face module names, not yet initialised
     * @param dir the model directory
     * @param manager owns the parameters
     * @param basePrefix the decoder's name in the model ({@code transformer}, {@code model})
     * @param tokenTableKey the token table's key below the decoder ({@code wte.weight})
     * @param buffers checkpoint keys that hold no weights (causal-mask or rotary buffers)
     * @return {@code model}
     * @throws IOException when a file is missing or malformed, or the weights do not fit the model
     */
    public static <M extends Block> M load(M model, Path dir, NDManager manager, String basePrefix,
            String tokenTableKey, Predicate<String> buffers) throws IOException {
        boolean tiedHead = !ParameterNames.of(model).containsKey(LM_HEAD);
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            String prefixed = basePrefix + "." + tokenTableKey;
            String tokenTable = weights.tensors().containsKey(prefixed) ? prefixed : tokenTableKey;
            Set<String> copies = tiedHead ? TiedCopies.verified(weights, Map.of(LM_HEAD, tokenTable)) : Set.of();
            PretrainedWeights.load(model, weights, manager, new CheckpointLoader().basePrefixes(basePrefix)
                    .ignoreUnexpected(key -> copies.contains(key) || buffers.test(key)));
        }
        return model;
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.blocks.Embedding;

/**
 * What causal language models share around their output layer: keeping only the last position,
 * logits against a tied embedding table, and the default inputs of a plain forward pass.
 */
public final class LanguageModelHead {

    private LanguageModelHead() {}

    /**
     * The last position of every sequence.
     *
     * @param hidden {@code [B, T, H]}
     * @return {@code [B, 1, H]}
     */
    public static NDArray lastPosition(NDArray hidden) {
        return hidden.get(":, " + (hidden.getShape().get(1) - 1) + ":, :");
    }

    /**
     * Logits through the input embedding table ({@code h W^T}), without copying the transposed table.
     *
     * @param ps the parameter store
     * @param hidden {@code [B, T, H]}
     * @param table the token embeddings, {@code [vocab, H]}
     * @param training whether gradients are recorded
     * @return {@code [B, T, vocab]}
     */
    public static NDArray tiedLogits(ParameterStore ps, NDArray hidden, Embedding table, boolean training) {
        return Linear.linear(hidden, ps.getValue(table.weight(), hidden.getDevice(), training)).head();
    }

    /**
     * The inputs of a forward pass without a cache: the ids, the attention mask (all ones when absent)
     * and the position ids (counted over the unmasked tokens when absent).
     *
     * @param inputs ids {@code [B, T]}, then optionally the mask and the position ids
     * @param scope owns what is created here
     * @return ids, mask, positions
     */
    public static NDList causalInputs(NDList inputs, NDManager scope) {
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : scope.ones(ids.getShape(), DataType.INT64);
        NDArray positions = inputs.size() > 2 ? inputs.get(2)
                : CausalAttentionMask.positionIds(mask, ids.getShape().get(1));
        return new NDList(ids, mask, positions);
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * A decoder-only language model that {@link Generator} can drive: it runs new tokens against an
 * optional {@link KeyValueCache} and returns next-token logits.
 *
 * <pre>{@code
 * NDArray logits = model.logits(ps, ids, mask, CausalAttentionMask.positionIds(mask, ids.getShape().get(1)),
 *         cache, true);   // [B, 1, vocab]
 * }</pre>
 */
public interface CausalLanguageModel extends Block {

    /**
     * The number of decoder layers, one cache entry each.
     *
     * @return the layer count
     */
    int numLayers();

    /**
     * The number of token ids the logits cover.
     *
     * @return the vocabulary size
     */
    int vocabSize();

    /**
     * Runs {@code inputIds} after the positions already in {@code cache}, appends their keys and
     * values to it, and returns the logits.
     *
     * @param ps the parameter store
     * @param inputIds the new tokens, {@code [B, T]} (int64)
     * @param attentionMask 1 for tokens and 0 for padding over the cached and the new positions,
     *     {@code [B, P + T]} where {@code P} is {@code cache.length()} (0 without a cache)
     * @param positionIds the position of every new token, {@code [B, T]}
     * @param cache the keys and values of earlier positions, updated in place; {@code null} to run
     *     without one
     * @param lastPositionOnly whether to return only the logits of the last position
     * @return logits {@code [B, T, vocab]}, or {@code [B, 1, vocab]}; owned by the manager of
     *     {@code inputIds}
     */
    NDArray logits(ParameterStore ps, NDArray inputIds, NDArray attentionMask, NDArray positionIds,
            KeyValueCache cache, boolean lastPositionOnly);
}

package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;

/**
 * What an adapter does inside a {@link KeyValueAttention} block. Prefix tuning implements
 * {@link #extend} (prepend learned keys and values); LLaMA-Adapter implements {@link #extendContext}
 * (add a gated attention over learned prompts). Arrays the hook creates belong to the manager of the
 * arrays it receives, so they are freed with the forward pass.
 *
 * <pre>{@code
 * KeyValueExtension prefix = (query, keys, values) -> ExtendedKeyValues.prepend(prefixKeys, prefixValues, keys, values);
 * attention.setKeyValueExtension(prefix);
 * }</pre>
 */
@FunctionalInterface
public interface KeyValueExtension {

    /**
     * Extends one layer's keys and values before attention.
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param keys the projected keys, {@code [batch, heads, seq, headDim]}
     * @param values the projected values, {@code [batch, heads, seq, headDim]}
     * @return the keys and values to attend to, with any prepended positions and their mask
     */
    ExtendedKeyValues extend(NDArray query, NDArray keys, NDArray values);

    /**
     * Changes the attention context per head before heads are merged; by default unchanged.
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param context the attention output, {@code [batch, heads, querySeq, headDim]}
     * @return the context to merge and project
     */
    default NDArray extendContext(NDArray query, NDArray context) {
        return context;
    }

    /**
     * Changes the attention block's output after its output projection; by default unchanged. For
     * additions that must not pass through the projection (PEFT's LLaMA-Adapter on GPT-2).
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param output the block's output, {@code [batch, querySeq, hidden]}
     * @return the output to return
     */
    default NDArray extendOutput(NDArray query, NDArray output) {
        return output;
    }
}

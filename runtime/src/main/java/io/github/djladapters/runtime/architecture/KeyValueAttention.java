package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.Optional;

/**
 * An attention block that lets adapters see and extend its keys and values: prefix tuning prepends
 * learned keys and values, LLaMA-Adapter attends to learned prompts. The annotation processor accepts
 * {@code PREFIX_TUNING} and {@code ADAPTION_PROMPT} only for attention classes implementing this
 * interface, and {@code Adapters.init} checks it again on the real blocks.
 *
 * <p>The block owns at most one extension (adapters compose several into one). In its forward pass,
 * after projecting (and rotating, where it uses rotary embeddings) the query, keys and values into
 * {@code [batch, heads, seq, headDim]}, it calls {@link #extendKeyValues}, attends with the returned
 * keys, values and {@link ExtendedKeyValues#attentionMask mask}, then calls
 * {@link #extendContext} on the per-head context before merging heads and the output projection,
 * and {@link #extendOutput} on the projected output:
 *
 * <pre>{@code
 * ExtendedKeyValues kv = extendKeyValues(q, k, v);
 * NDArray scores = Scalars.mul(q.matMul(kv.keys().transpose(0, 1, 3, 2)), 1 / Math.sqrt(headDim));
 * NDArray mask = kv.attentionMask(ownMask);          // null when nothing is masked
 * NDArray context = (mask == null ? scores : scores.add(mask)).softmax(-1).matMul(kv.values());
 * context = extendContext(q, context);
 * NDArray out = extendOutput(q, oProj(mergeHeads(context)));
 * }</pre>
 */
public interface KeyValueAttention extends Block {

    /**
     * Installs the extension this block applies from its next forward pass on.
     *
     * @param extension the extension, or {@code null} to remove it
     */
    void setKeyValueExtension(KeyValueExtension extension);

    /**
     * The installed extension.
     *
     * @return the extension, or empty when none is installed
     */
    Optional<KeyValueExtension> keyValueExtension();

    /**
     * How many key/value heads the keys and values passed to the extension have (fewer than the
     * query heads under grouped-query attention); prefix tuning sizes its prefix with it.
     *
     * @return the key/value heads
     * @throws UnsupportedOperationException when the block does not say
     */
    default int keyValueHeads() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not give its key/value heads");
    }

    /**
     * The width of one head of the keys and values.
     *
     * @return the head dimension
     * @throws UnsupportedOperationException when the block does not say
     */
    default int headDim() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not give its head dimension");
    }

    /**
     * Whether this block gives prepended keys their positions itself, from
     * {@link ExtendedKeyValues#prefixPositions}, as T5's relative position bias does; then a prefix
     * does not need the model's inputs moved after it (no {@link InputExtendingModel} is needed for
     * prefix tuning). Blocks with absolute positions (rotary, learned) return false.
     *
     * @return true when the block places prepended keys by their relative positions
     */
    default boolean placesPrependedKeys() {
        return false;
    }

    /**
     * Applies the installed extension to this layer's keys and values, or returns them unchanged.
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param keys the projected keys, {@code [batch, heads, seq, headDim]}
     * @param values the projected values, {@code [batch, heads, seq, headDim]}
     * @return the keys and values to attend to
     */
    default ExtendedKeyValues extendKeyValues(NDArray query, NDArray keys, NDArray values) {
        return keyValueExtension().map(extension -> extension.extend(query, keys, values))
                .orElseGet(() -> ExtendedKeyValues.unchanged(keys, values));
    }

    /**
     * Applies the installed extension to the attention context, or returns it unchanged.
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param context the attention output per head, {@code [batch, heads, querySeq, headDim]}
     * @return the context to merge and project
     */
    default NDArray extendContext(NDArray query, NDArray context) {
        return keyValueExtension().map(extension -> extension.extendContext(query, context)).orElse(context);
    }

    /**
     * Applies the installed extension to the block's output after its output projection, or returns
     * it unchanged.
     *
     * @param query the projected query, {@code [batch, heads, querySeq, headDim]}
     * @param output the block's output, {@code [batch, querySeq, hidden]}
     * @return the output to return
     */
    default NDArray extendOutput(NDArray query, NDArray output) {
        return keyValueExtension().map(extension -> extension.extendOutput(query, output)).orElse(output);
    }
}

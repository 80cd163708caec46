package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.kernels.AttentionKernel;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;

/**
 * Scaled dot-product attention shared by the decoder attention blocks, with the
 * {@link KeyValueAttention} hooks through which prefix tuning and adaption prompts act, and
 * grouped-query attention. The attention runs in PyTorch's fused {@code scaled_dot_product_attention}
 * (grouped heads as query rows per key/value head) where {@link AttentionKernel} applies, else written out in DJL ops
 * (grouped heads stacked along the query axis, or repeated by {@link AttentionHeads#repeat}).
 */
public final class DotProductAttention {

    private DotProductAttention() {}

    /**
     * Attends {@code query} to {@code keys} and {@code values} after the block's extension has seen
     * them, and returns the merged context.
     *
     * @param block the attention block, whose extension (if any) is applied
     * @param query {@code [B, heads, T, headDim]}, already rotated where the model uses RoPE
     * @param keys {@code [B, kvHeads, S, headDim]}: the cached and new keys of this layer
     * @param values {@code [B, kvHeads, S, headDim]}
     * @param maskBias additive mask {@code [B, 1, T, S]}: 0 to attend, a large negative value to hide
     * @param scale the factor applied to the scores, usually {@code 1 / sqrt(headDim)}
     * @return the context with heads merged, {@code [B, T, heads * headDim]}
     */
    public static NDArray context(KeyValueAttention block, NDArray query, NDArray keys, NDArray values,
            NDArray maskBias, float scale) {
        Shape q = query.getShape();
        long heads = q.get(1);
        ExtendedKeyValues kv = block.extendKeyValues(query, keys, values);
        NDArray mask = kv.attentionMask(maskBias);
        long kvHeads = kv.keys().getShape().get(1);
        boolean grouped = kvHeads != heads && kv.values().getShape().get(1) == kvHeads
                && (mask == null || mask.getShape().dimension() == 4);
        NDArray attended = AttentionKernel.applies(query, kv.keys(), kv.values(), mask)
                ? AttentionKernel.attend(query, kv.keys(), kv.values(), mask, 0f, scale)
                : !grouped
                ? attend(query, AttentionHeads.repeat(kv.keys(), heads), AttentionHeads.repeat(kv.values(), heads), mask,
                        scale)
                : attendGrouped(query, kv.keys(), kv.values(), mask, scale);
        NDArray context = block.extendContext(query, attended);
        return context.transpose(0, 2, 1, 3).reshape(q.get(0), q.get(2), heads * q.get(3));
    }

    /** {@code softmax(q k^T scale + mask) v} with as many key/value heads as query heads. */
    private static NDArray attend(NDArray query, NDArray keys, NDArray values, NDArray mask, float scale) {
        NDArray scores = Scalars.mul(query.matMul(keys.transpose(0, 1, 3, 2)), scale);
        if (mask != null) {
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matMul(values);
    }

    /**
     * Grouped-query attention without repeating keys and values: the {@code heads / kvHeads} query
     * heads of one key/value head are stacked along the query axis ({@code [B, kvHeads, groups * T,
     * headDim]}), so each key/value head is read once per product instead of being copied
     * {@code groups} times per layer and step. The same numbers as {@link AttentionHeads#repeat} followed by
     * plain attention.
     */
    private static NDArray attendGrouped(NDArray query, NDArray keys, NDArray values, NDArray mask,
            float scale) {
        Shape q = query.getShape();
        long batch = q.get(0);
        long heads = q.get(1);
        long length = q.get(2);
        long kvHeads = keys.getShape().get(1);
        long groups = heads / kvHeads;
        long keyLength = keys.getShape().get(2);
        NDArray stacked = query.reshape(batch, kvHeads, groups * length, q.get(3));
        NDArray scores = Scalars.mul(stacked.matMul(keys.transpose(0, 1, 3, 2)), scale);
        if (mask != null) {
            Shape m = mask.getShape(); // [B or 1, 1 or heads, T or 1, S]
            boolean perHead = m.get(1) != 1;
            NDArray grouped = mask.reshape(m.get(0), perHead ? kvHeads : 1, perHead ? groups : 1, m.get(2), m.get(3));
            scores = scores.reshape(batch, kvHeads, groups, length, keyLength).add(grouped);
        }
        NDArray probs = scores.softmax(-1).reshape(batch, kvHeads, groups * length, keyLength);
        return probs.matMul(values).reshape(batch, heads, length, q.get(3));
    }
}

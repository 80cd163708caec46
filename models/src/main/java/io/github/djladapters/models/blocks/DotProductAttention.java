package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;

/**
 * Scaled dot-product attention shared by the decoder attention blocks, with the
 * {@link KeyValueAttention} hooks through which prefix tuning and adaption prompts act, and
 * grouped-query attention ({@link AttentionHeads#repeat}).
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
        NDArray k = AttentionHeads.repeat(kv.keys(), heads);
        NDArray v = AttentionHeads.repeat(kv.values(), heads);
        NDArray scores = Scalars.mul(query.matMul(k.transpose(0, 1, 3, 2)), scale);
        NDArray mask = kv.attentionMask(maskBias);
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray context = block.extendContext(query, scores.softmax(-1).matMul(v));
        return context.transpose(0, 2, 1, 3).reshape(q.get(0), q.get(2), heads * q.get(3));
    }
}

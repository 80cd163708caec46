package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The head layout of multi-head attention, for the models' attention blocks and the adapters that
 * attend beside them (adaption prompts): projected features split into heads, and key/value heads
 * repeated for grouped-query attention (each key/value head serves {@code heads / kvHeads}
 * consecutive query heads, Hugging Face's {@code repeat_kv}).
 *
 * <pre>{@code
 * NDArray q = AttentionHeads.split(qProj.forward(ps, x, false).head(), heads);
 * NDArray k = AttentionHeads.repeat(AttentionHeads.split(kProj.forward(ps, x, false).head(), kvHeads), heads);
 * }</pre>
 */
public final class AttentionHeads {

    private AttentionHeads() {}

    /**
     * Splits projected features into heads.
     *
     * @param projected {@code [B, T, heads * headDim]}
     * @param heads the number of heads
     * @return {@code [B, heads, T, headDim]}
     */
    public static NDArray split(NDArray projected, long heads) {
        Shape s = projected.getShape();
        return projected.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    /**
     * Repeats each key/value head {@code heads / kvHeads} times in place, so that query head
     * {@code h} meets key/value head {@code h / (heads / kvHeads)}.
     *
     * @param kv {@code [B, kvHeads, S, headDim]}
     * @param heads the number of query heads, a multiple of {@code kvHeads}
     * @return {@code [B, heads, S, headDim]}
     */
    public static NDArray repeat(NDArray kv, long heads) {
        Shape s = kv.getShape();
        long groups = heads / s.get(1);
        if (groups == 1) {
            return kv;
        }
        return kv.expandDims(2).broadcast(new Shape(s.get(0), s.get(1), groups, s.get(2), s.get(3)))
                .reshape(s.get(0), heads, s.get(2), s.get(3));
    }
}

package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask of a bidirectional (non-causal) attention over a padded batch: keys
 * that are padding are hidden from every query.
 */
public final class PaddingMask {

    private PaddingMask() {}

    /**
     * The additive mask: 0 where {@code mask} is 1, the lowest float where it is 0, shaped
     * {@code [B, 1, 1, S]} to broadcast over heads and query positions.
     *
     * @param mask the attention mask {@code [B, S]}, 1 for tokens and 0 for padding
     * @return the additive mask, float32
     */
    public static NDArray bias(NDArray mask) {
        Shape shape = mask.getShape();
        NDArray blocked = mask.toType(DataType.FLOAT32, false).neg().add(1f);
        return blocked.mul(-Float.MAX_VALUE).reshape(shape.get(0), 1, 1, shape.get(1));
    }
}

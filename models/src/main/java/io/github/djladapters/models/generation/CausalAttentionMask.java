package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask and position ids of a decoder, built from a padding mask so that
 * left-padded batches see exactly what each prompt alone would see.
 */
public final class CausalAttentionMask {

    private CausalAttentionMask() {}

    /**
     * The additive mask for {@code queryLength} new positions at the end of {@code attentionMask}:
     * query {@code t} may attend key {@code s} when {@code s} is not padding and not after it. Hidden
     * pairs get the lowest float once (never summed twice), so a fully hidden padding row stays
     * finite.
     *
     * @param attentionMask 1 for tokens, 0 for padding, {@code [B, S]}
     * @param queryLength the number of new positions {@code T <= S}
     * @return {@code [B, 1, T, S]} float32, 0 where attended
     */
    public static NDArray bias(NDArray attentionMask, long queryLength) {
        NDManager manager = attentionMask.getManager();
        long keys = attentionMask.getShape().get(1);
        if (queryLength == 1) { // one new position sees every earlier one: only padding is hidden
            return attentionMask.gt(0).toType(DataType.FLOAT32, false).sub(1f).mul(Float.MAX_VALUE)
                    .reshape(attentionMask.getShape().get(0), 1, 1, keys);
        }
        NDArray keyPositions = manager.arange(0f, (float) keys).reshape(1, keys);
        NDArray queryPositions = manager.arange((float) (keys - queryLength), (float) keys).reshape(queryLength, 1);
        NDArray causal = keyPositions.lte(queryPositions); // [T, S]
        NDArray tokens = attentionMask.toType(DataType.FLOAT32, false).gt(0f)
                .reshape(attentionMask.getShape().get(0), 1, 1, keys);
        NDArray allowed = tokens.logicalAnd(causal.reshape(1, 1, queryLength, keys));
        return allowed.toType(DataType.FLOAT32, false).sub(1f).mul(Float.MAX_VALUE);
    }

    /**
     * Position ids counted over tokens only, as Hugging Face's {@code generate} does: the first real
     * token of a left-padded prompt is position 0; padding gets 1.
     *
     * @param attentionMask 1 for tokens, 0 for padding, {@code [B, S]}
     * @param queryLength the number of new positions {@code T <= S} whose ids are returned
     * @return {@code [B, T]} int64
     */
    public static NDArray positionIds(NDArray attentionMask, long queryLength) {
        NDArray mask = attentionMask.toType(DataType.INT64, false);
        NDArray counted = mask.cumSum(1).sub(1L);
        NDArray positions = NDArrays.where(mask.eq(0L), mask.onesLike(), counted);
        long keys = mask.getShape().get(1);
        return positions.get(":, " + (keys - queryLength) + ":").reshape(new Shape(mask.getShape().get(0), queryLength));
    }
}

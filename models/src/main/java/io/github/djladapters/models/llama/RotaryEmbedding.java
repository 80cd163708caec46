package io.github.djladapters.models.llama;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings as in Hugging Face's Llama ({@code LlamaRotaryEmbedding},
 * {@code apply_rotary_pos_emb}): frequency {@code theta^(-2i/d)} for pair {@code i}, and the
 * "rotate half" layout, where feature {@code i} pairs with feature {@code i + d/2} (not the
 * interleaved {@code 2i, 2i+1} layout of the original paper). Parameter-free: nothing in the
 * checkpoint.
 */
public final class RotaryEmbedding {

    private final float[] inverseFrequencies;

    /**
     * Rotary tables for heads of width {@code headDim}.
     *
     * @param headDim the head width, even
     * @param theta the base ({@code rope_theta})
     */
    public RotaryEmbedding(int headDim, double theta) {
        inverseFrequencies = new float[headDim / 2];
        for (int i = 0; i < inverseFrequencies.length; i++) {
            inverseFrequencies[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
        }
    }

    /**
     * The cosine and sine tables for the given positions.
     *
     * @param positionIds {@code [B, T]}
     * @return {@code (cos, sin)}, each {@code [B, 1, T, headDim]}, float32
     */
    public NDList tables(NDArray positionIds) {
        NDManager manager = positionIds.getManager();
        NDArray inverse = ArrayValues.owned(manager.create(inverseFrequencies)).reshape(1, 1, inverseFrequencies.length);
        NDArray angles = positionIds.toType(DataType.FLOAT32, false).expandDims(2).mul(inverse); // [B, T, d/2]
        NDArray full = angles.concat(angles, 2).expandDims(1);
        return new NDList(full.cos(), full.sin());
    }

    /**
     * Rotates queries or keys: {@code x cos + rotate_half(x) sin}.
     *
     * @param x {@code [B, heads, T, headDim]}
     * @param cos from {@link #tables}
     * @param sin from {@link #tables}
     * @return the rotated array, same shape
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}

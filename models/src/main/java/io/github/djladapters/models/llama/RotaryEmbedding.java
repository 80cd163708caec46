package io.github.djladapters.models.llama;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
     * The frequencies of the feature pairs, {@code theta^(-2i/d)}.
     *
     * @return a copy, {@code headDim / 2} values
     */
    float[] inverseFrequencies() {
        return inverseFrequencies.clone();
    }

    /**
     * The cosine and sine tables for the given positions, and the matrix that rotates halves.
     *
     * @param positionIds {@code [B, T]}
     * @return {@code (cos, sin, rotateHalf)}: {@code cos} and {@code sin} each {@code [B, 1, T, headDim]},
     *     float32, and {@link #rotateHalf} {@code [headDim, headDim]}
     */
    public NDList tables(NDArray positionIds) {
        NDManager manager = positionIds.getManager();
        NDArray inverse = ArrayValues.owned(manager.create(inverseFrequencies)).reshape(1, 1, inverseFrequencies.length);
        NDArray angles = positionIds.toType(DataType.FLOAT32, false).expandDims(2).mul(inverse); // [B, T, d/2]
        NDArray full = angles.concat(angles, 2).expandDims(1);
        return new NDList(full.cos(), full.sin(), rotateHalf(manager, 2 * inverseFrequencies.length));
    }

    /**
     * The signed permutation {@code R} with {@code x R = rotate_half(x) = (-x2, x1)}: one matrix product
     * per rotation instead of a split, a negation and a concatenation (exact: each output is one
     * input times 1 or -1).
     *
     * @param manager owns the matrix (memory PyTorch owns, so autograd may keep it)
     * @param headDim the head width, even
     * @return {@code [headDim, headDim]}, float32
     */
    static NDArray rotateHalf(NDManager manager, int headDim) {
        int half = headDim / 2;
        float[] r = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            r[(j + half) * headDim + j] = -1f; // output j takes -x[j + d/2]
            r[j * headDim + j + half] = 1f; // output j + d/2 takes x[j]
        }
        return ArrayValues.owned(manager.create(r, new Shape(headDim, headDim)));
    }

    /**
     * Rotates queries or keys: {@code x cos + rotate_half(x) sin}.
     *
     * @param x {@code [B, heads, T, headDim]}
     * @param cos from {@link #tables}
     * @param sin from {@link #tables}
     * @param rotateHalf from {@link #tables}
     * @return the rotated array, same shape
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin, NDArray rotateHalf) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
    }
}

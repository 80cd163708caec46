package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.engine.Scalars;

/**
 * The part of a site's output one adapter contributes to, under an {@code Average} or {@code Split}
 * composition: its contribution (what it adds to the output) is multiplied by {@code weight} and
 * kept on the sequence positions {@code [from, to)} only. Applied by {@link AdapterUse#onRows}, so
 * every method whose contribution is additive takes part without code of its own.
 *
 * @param weight the factor on the contribution (1 for a split)
 * @param from the first sequence position (axis 1), inclusive
 * @param to the last sequence position, exclusive; -1 for every position
 */
public record OutputShare(double weight, int from, int to) {

    /**
     * A weighted share of every position.
     *
     * @param weight the factor
     * @return the share
     */
    public static OutputShare weighted(double weight) {
        return new OutputShare(weight, 0, -1);
    }

    /**
     * Combines two shares: the product of the weights on the intersection of the positions.
     *
     * @param other the inner share
     * @return the combined share
     */
    public OutputShare and(OutputShare other) {
        if (to < 0) {
            return new OutputShare(weight * other.weight, other.from, other.to);
        }
        if (other.to < 0) {
            return new OutputShare(weight * other.weight, from, to);
        }
        int start = Math.max(from, other.from);
        return new OutputShare(weight * other.weight, start, Math.max(start, Math.min(to, other.to)));
    }

    /**
     * Multiplies a contribution by this share.
     *
     * @param contribution {@code [batch, sequence, ...]} (or {@code [batch, ...]} for a share of every position)
     * @return the weighted contribution, zero outside the positions
     * @throws IllegalStateException when the positions do not fit the contribution's sequence axis
     */
    public NDArray apply(NDArray contribution) {
        NDArray out = weight == 1.0 ? contribution : Scalars.mul(contribution, weight);
        if (to < 0) {
            return out;
        }
        Shape shape = contribution.getShape();
        if (shape.dimension() < 3) {
            throw new IllegalStateException("a Split share of positions [" + from + ", " + to + ") needs an output of"
                    + " shape [batch, sequence, ...], not " + shape);
        }
        long length = shape.get(1);
        if (to > length) {
            throw new IllegalStateException("Split positions [" + from + ", " + to + ") do not fit a sequence of "
                    + length + " (the splits must add up to the sequence length)");
        }
        float[] keep = new float[(int) length];
        java.util.Arrays.fill(keep, from, to, 1f);
        long[] maskShape = new long[shape.dimension()];
        java.util.Arrays.fill(maskShape, 1);
        maskShape[1] = length;
        NDArray mask = contribution.getManager().create(keep).reshape(maskShape)
                .toType(contribution.getDataType(), false).toDevice(contribution.getDevice(), false);
        return out.mul(mask);
    }
}

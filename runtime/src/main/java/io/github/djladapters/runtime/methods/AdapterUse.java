package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;

/**
 * One adapter applied in one forward of an {@link AdapterLayer}: to every row, or to the rows a
 * mask selects. Mixed batches multiply each adapter's contribution by its row mask (rather than
 * gathering rows): the base runs once for the whole batch and shapes never change, at the price of
 * computing each adapter's small low-rank branch for every row.
 *
 * @param name the adapter name
 * @param adapter the adapter's weights at this layer
 * @param rowMask a {@code [batch]} float mask, or null for every row
 * @param <A> the method's weight block
 */
public record AdapterUse<A>(String name, A adapter, NDArray rowMask) {

    /**
     * Keeps a contribution on this adapter's rows only.
     *
     * @param contribution {@code [batch, ...]}, what the adapter adds to the output
     * @return the contribution, zero on rows that do not use this adapter
     */
    public NDArray onRows(NDArray contribution) {
        if (rowMask == null) {
            return contribution;
        }
        return contribution.mul(mask(contribution.getShape().dimension()).toType(contribution.getDataType(), false));
    }

    /**
     * The row mask shaped to broadcast over an array of the given rank.
     *
     * @param rank the rank of the array it multiplies
     * @return {@code [batch, 1, ..., 1]}, or null when every row uses the adapter
     */
    public NDArray mask(int rank) {
        if (rowMask == null) {
            return null;
        }
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, 1);
        shape[0] = rowMask.getShape().get(0);
        return rowMask.reshape(shape);
    }
}

package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;

/**
 * One adapter applied in one forward of an {@link AdapterLayer}: to every row, or to some rows of a
 * mixed batch. Methods either multiply the adapter's contribution by its row mask (the base runs
 * once for the whole batch and shapes never change) or, as LoRA does, gather each row's own adapter
 * weights and apply them all in one batched product.
 *
 * @param name the adapter name
 * @param adapter the adapter's weights at this layer
 * @param rowMask a {@code [batch]} float mask, or null for every row
 * @param rows the indices of the rows the mask selects, ascending, or null for every row
 * @param <A> the method's weight block
 */
public record AdapterUse<A>(String name, A adapter, NDArray rowMask, int[] rows) {

    /**
     * An adapter applied to every row.
     *
     * @param name the adapter name
     * @param adapter the adapter's weights at this layer
     */
    public AdapterUse(String name, A adapter) {
        this(name, adapter, null, null);
    }

    /**
     * Whether this adapter applies to some rows only.
     *
     * @return true in a mixed batch where other rows use other adapters or the base model
     */
    public boolean routed() {
        return rowMask != null;
    }

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

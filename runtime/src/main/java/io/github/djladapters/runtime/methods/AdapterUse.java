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
 * @param share the adapter's part of the output under an {@code Average} or {@code Split}
 *     composition, or null for all of it
 * @param <A> the method's weight block
 */
public record AdapterUse<A>(String name, A adapter, NDArray rowMask, int[] rows, OutputShare share) {

    /**
     * An adapter applied to some rows, or to every row when both are null.
     *
     * @param name the adapter name
     * @param adapter the adapter's weights at this layer
     * @param rowMask a {@code [batch]} float mask, or null for every row
     * @param rows the indices of the rows the mask selects, or null for every row
     */
    public AdapterUse(String name, A adapter, NDArray rowMask, int[] rows) {
        this(name, adapter, rowMask, rows, null);
    }

    /**
     * An adapter applied to every row.
     *
     * @param name the adapter name
     * @param adapter the adapter's weights at this layer
     */
    public AdapterUse(String name, A adapter) {
        this(name, adapter, null, null, null);
    }

    /**
     * Whether this adapter's contribution reaches only part of the output, so that a method must
     * pass it through {@link #onRows}.
     *
     * @return true in a mixed batch where other rows use other adapters or the base model, and for
     *     a weighted or position share of an {@code Average} or {@code Split}
     */
    public boolean routed() {
        return rowMask != null || share != null;
    }

    /**
     * Keeps a contribution on this adapter's rows only.
     *
     * @param contribution {@code [batch, ...]}, what the adapter adds to the output
     * @return the contribution, zero on rows that do not use this adapter, weighted and kept on its
     *     positions under a {@link #share}
     */
    public NDArray onRows(NDArray contribution) {
        NDArray out = share == null ? contribution : share.apply(contribution);
        if (rowMask == null) {
            return out;
        }
        return out.mul(mask(contribution.getShape().dimension()).toType(contribution.getDataType(), false));
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

    /**
     * The adapters one forward applies at one place: none while adapters are disabled; under per-row
     * {@link AdapterRouting} each routed adapter held here, on its rows (on every row when it covers
     * the batch); otherwise the active adapters held here that are not merged, in activation order.
     *
     * @param activation the model's shared activation
     * @param adapters the adapters held at this place, by name
     * @param merged the adapters merged into base weights here
     * @param <A> the method's weight block
     * @return the uses, in order
     */
    public static <A> java.util.List<AdapterUse<A>> select(AdapterActivation activation,
            java.util.Map<String, A> adapters, java.util.List<String> merged) {
        java.util.List<AdapterUse<A>> uses = new java.util.ArrayList<>();
        if (activation.disabled()) {
            return uses;
        }
        AdapterRouting.Routing routing = AdapterRouting.current().orElse(null);
        if (routing == null) {
            AdapterActivation.Choice choice = activation.choice();
            if (choice.needsRouting()) {
                throw new IllegalStateException("the active setup " + choice.setup() + " gives each branch its own"
                        + " rows; run it through AdapterModel.forward (or forwardBranches), which replicates or splits"
                        + " the batch");
            }
            for (String name : choice.names()) {
                A weights = adapters.get(name);
                if (weights != null && !merged.contains(name)) {
                    OutputShare share = choice.shares().get(name);
                    uses.add(share == null ? new AdapterUse<>(name, weights)
                            : new AdapterUse<>(name, weights, null, null, share));
                }
            }
        } else {
            // AdapterModel refuses per-row routing while anything is merged, so no check here.
            routing.masks().forEach((name, mask) -> {
                A weights = adapters.get(name);
                if (weights != null) {
                    // an adapter on every row needs no mask: the plain (and fastest) forward applies
                    uses.add(routing.coversBatch(name) ? new AdapterUse<>(name, weights)
                            : new AdapterUse<>(name, weights, mask, routing.rows().get(name)));
                }
            });
        }
        return uses;
    }
}

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
            for (String name : activation.active()) {
                A weights = adapters.get(name);
                if (weights != null && !merged.contains(name)) {
                    uses.add(new AdapterUse<>(name, weights));
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

package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A merge computed but not yet written, so that a model checks every layer's new weights for
 * NaN/Inf before it changes any of them.
 */
public interface PendingMerge {

    /**
     * The new base weights this merge would write.
     *
     * @return arrays to check
     */
    List<NDArray> newValues();

    /** Writes the new weights and records the adapter as merged, then frees the computation. */
    void apply();

    /** Frees the computation without writing anything. */
    void discard();

    /**
     * Whether every new value is finite.
     *
     * @return false when any value is NaN or infinite
     */
    default boolean finite() {
        for (NDArray value : newValues()) {
            if (value.isNaN().any().getBoolean() || value.isInfinite().any().getBoolean()) {
                return false;
            }
        }
        return true;
    }
}

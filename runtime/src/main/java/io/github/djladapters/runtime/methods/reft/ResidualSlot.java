package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;

/**
 * The residual stream before a pre-LN layer's feed-forward block, recorded in the forward running on
 * this thread by {@link ResidualRecorder} and read by the {@link ReftLayer} at the feed-forward output.
 */
final class ResidualSlot {

    private final ThreadLocal<NDArray> current = new ThreadLocal<>();

    void put(NDArray residual) {
        current.set(residual);
    }

    /** The residual recorded by this forward, forgotten after reading so no array outlives its call. */
    NDArray take() {
        NDArray residual = current.get();
        current.remove();
        return residual;
    }
}

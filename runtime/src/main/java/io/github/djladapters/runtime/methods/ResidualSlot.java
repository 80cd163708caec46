package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;

/**
 * The residual of one sub-block in the forward running on this thread, recorded by a
 * {@link ResidualRecorderLayer} at a pre-sub-block hook point ({@code @PreSelfAttention} or
 * {@code @PreFfn}) and read by the adapter after that sub-block (the Adapters library's
 * {@code residual_input} for bottleneck adapters, the residual stream for ReFT on pre-LN layers).
 */
public final class ResidualSlot {

    private final ThreadLocal<NDArray> current = new ThreadLocal<>();

    /**
     * Records this forward's residual.
     *
     * @param residual the input of the hook point
     */
    public void put(NDArray residual) {
        current.set(residual);
    }

    /**
     * The residual recorded by this forward, forgotten after reading so no array outlives its call.
     *
     * @return the residual, or null when none was recorded on this thread
     */
    public NDArray take() {
        NDArray residual = current.get();
        current.remove();
        return residual;
    }
}

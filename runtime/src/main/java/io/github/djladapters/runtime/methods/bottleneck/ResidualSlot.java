package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;

/**
 * The residual of one sub-block in the forward running on this thread: the input of its
 * pre-sub-block hook point ({@code @PreSelfAttention} or {@code @PreFfn}), which the Adapters
 * library's bottleneck hooks read as {@code residual_input}.
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

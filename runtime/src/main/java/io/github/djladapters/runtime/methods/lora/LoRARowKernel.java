package io.github.djladapters.runtime.methods.lora;

import ai.djl.ndarray.NDArray;

/**
 * An engine's kernel for LoRA's mixed (per-row) inference: adds each run of rows' own low-rank product
 * to the base output in place, {@code result[rows] += (x[rows] downs[slot]) ups[slot]}, with one
 * ordinary matrix product per run of consecutive rows on the same adapter instead of batched products
 * over gathered per-row weights, which cost more than their arithmetic on the CPU. Found by
 * {@link java.util.ServiceLoader}; without one, mixed forwards use the batched products.
 */
public interface LoRARowKernel {

    /**
     * Whether this kernel runs on these arrays (engine, device, data type, no autograd).
     *
     * @param result the base output, {@code [batch, ..., out]}, contiguous
     * @param x the input, {@code [batch, ..., in]}
     * @return true when {@link #addRuns} may be called with them
     */
    boolean applies(NDArray result, NDArray x);

    /**
     * Adds the runs' products to {@code result} in place.
     *
     * @param result {@code [batch, ..., out]}, written in place
     * @param x {@code [batch, ..., in]}
     * @param downs {@code [slots, in, R]}: each slot's {@code A^T}
     * @param ups {@code [slots, R, out]}: each slot's {@code s B^T}
     * @param runs {@code start, end, slot} for each run of rows (rows {@code start} to {@code end - 1})
     */
    void addRuns(NDArray result, NDArray x, NDArray downs, NDArray ups, long[] runs);
}

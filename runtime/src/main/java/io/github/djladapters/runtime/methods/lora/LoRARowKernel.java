package io.github.djladapters.runtime.methods.lora;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * An engine's kernel for LoRA's mixed (per-row) inference: adds each run of rows' own low-rank product
 * to the base output in place, {@code result[rows] += s (x[rows] A^T) B^T}, with one ordinary product
 * pair per run of consecutive rows on the same adapter, on the adapters' own {@code A} and {@code B},
 * instead of batched products over gathered per-row weights, which cost more than their arithmetic on
 * the CPU. Found by
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
     * Adds the runs' products to {@code result} in place: for each run, {@code result[rows] +=
     * scalings[k] (x[rows] downs[k]^T) ups[k]^T}.
     *
     * @param result {@code [batch, ..., out]}, written in place
     * @param x {@code [batch, ..., in]}
     * @param downs each adapter's {@code A}, {@code [r, in]}
     * @param ups each adapter's {@code B}, {@code [out, r]}
     * @param scalings each adapter's scaling
     * @param runs {@code start, end, k} for each run of rows (rows {@code start} to {@code end - 1} on adapter
     *     {@code k})
     */
    void addRuns(NDArray result, NDArray x, List<NDArray> downs, List<NDArray> ups, double[] scalings, long[] runs);
}

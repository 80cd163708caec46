package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;

/**
 * An engine's faster product for inference with a weight that does not change between calls: the
 * weight is packed once into the layout the engine's GEMM reads best, and later products read the
 * packed copy. {@link FlatLinear} finds one implementation through {@link java.util.ServiceLoader}
 * (the models module ships one for PyTorch's CPU engine: MKL's packed {@code sgemm}) and keeps the
 * packed copies in {@link PackedLinearWeights}.
 */
public interface LinearPacking {

    /**
     * Whether a product of {@code x} and {@code weight} can take the packed path now: the engine, the
     * device and the data type fit, and no gradient is being recorded (packed products have no
     * backward).
     *
     * @param x the input, {@code [..., in]}
     * @param weight {@code [out, in]}
     * @return true when {@link #pack} and {@link #product} may be called for them
     */
    boolean applies(NDArray x, NDArray weight);

    /**
     * The packed copy of {@code weight} for products with {@code rows} input rows.
     *
     * @param weight {@code [out, in]}, row-major
     * @param rows the rows of the inputs it will multiply (all leading dimensions together)
     * @return the packed copy, owned by the manager of {@code weight}
     */
    NDArray pack(NDArray weight, long rows);

    /**
     * {@code x W^T + b} with the packed weight.
     *
     * @param x the input, {@code [..., in]}, with {@code rows} rows
     * @param packed what {@link #pack} returned for {@code weight} and {@code rows}
     * @param weight the weight itself
     * @param bias {@code [out]}, or null
     * @param rows the rows {@code packed} was made for
     * @return {@code [..., out]}, owned by the manager of {@code x}
     */
    NDArray product(NDArray x, NDArray packed, NDArray weight, NDArray bias, long rows);
}

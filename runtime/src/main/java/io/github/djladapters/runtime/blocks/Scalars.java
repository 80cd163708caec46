package io.github.djladapters.runtime.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe under autograd. DJL's {@code x.mul(0.5f)} makes the
 * constant a tensor over a Java buffer and closes it right after the op; autograd keeps that tensor
 * for the backward pass (the gradient of {@code x * c} is {@code grad * c}), so once the garbage
 * collector frees the buffer, the backward pass reads freed memory and gradients turn to garbage.
 * The constants here are tensors whose memory PyTorch owns, so autograd can keep them.
 *
 * <pre>{@code
 * NDArray scores = Scalars.mul(q, 1 / Math.sqrt(headDim)).matMul(k.transpose(0, 1, 3, 2));
 * }</pre>
 */
public final class Scalars {

    private Scalars() {}

    /**
     * {@code x * c}.
     *
     * @param x an array
     * @param c the constant
     * @return the product, owned by the manager of {@code x}
     */
    public static NDArray mul(NDArray x, double c) {
        return x.mul(constant(x, c));
    }

    /**
     * {@code x ^ p}, elementwise.
     *
     * @param x an array
     * @param p the exponent
     * @return the power, owned by the manager of {@code x}
     */
    public static NDArray pow(NDArray x, double p) {
        return x.pow(constant(x, p));
    }

    /** A 0-d tensor of {@code x}'s type and device, filled by PyTorch (not over a Java buffer). */
    private static NDArray constant(NDArray x, double c) {
        return x.getManager().full(new Shape(), (float) c, x.getDataType(), x.getDevice());
    }
}

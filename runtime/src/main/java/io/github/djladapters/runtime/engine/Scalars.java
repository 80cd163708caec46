package io.github.djladapters.runtime.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe under autograd. DJL's {@code x.mul(0.5f)} makes the
 * constant a tensor over a Java buffer and closes it right after the op; autograd keeps that tensor
 * for the backward pass (the gradient of {@code x * c} is {@code grad * c}), so once the garbage
 * collector frees the buffer, the backward pass reads freed memory and gradients turn to garbage.
 * The constants here are tensors whose memory PyTorch owns, so autograd can keep them.
 *
 * <p>The constant and the result belong to one manager: {@code x}'s for per-call arrays, or an
 * explicit owner when {@code x} is a parameter (whose manager lives as long as the model, so
 * anything put there by a forward would pile up, one constant per call).
 *
 * <pre>{@code
 * NDArray scores = Scalars.mul(q, 1 / Math.sqrt(headDim)).matMul(k.transpose(0, 1, 3, 2));
 * NDArray scaledB = Scalars.mul(loraB, scaling, input.getManager()); // freed with the caller's arrays
 * }</pre>
 */
public final class Scalars {

    private Scalars() {}

    /**
     * {@code x * c}, owned by the manager of {@code x}. Use {@link #mul(NDArray, double, NDManager)}
     * when {@code x} belongs to a long-lived manager (a parameter).
     *
     * @param x an array
     * @param c the constant
     * @return the product, owned by the manager of {@code x}
     */
    public static NDArray mul(NDArray x, double c) {
        return mul(x, c, x.getManager());
    }

    /**
     * {@code x * c}, with the constant and the product owned by {@code owner}.
     *
     * @param x an array, such as a parameter's
     * @param c the constant
     * @param owner the manager that frees the constant and the product, such as the caller's
     * @return the product, owned by {@code owner}
     */
    public static NDArray mul(NDArray x, double c, NDManager owner) {
        NDArray product = x.mul(constant(x, c, owner));
        if (product.getManager() != owner) {
            product.attach(owner);
        }
        return product;
    }

    /**
     * {@code x ^ p}, elementwise.
     *
     * @param x an array
     * @param p the exponent
     * @return the power, owned by the manager of {@code x}
     */
    public static NDArray pow(NDArray x, double p) {
        return x.pow(constant(x, p, x.getManager()));
    }

    /** A 0-d tensor of {@code x}'s type and device, filled by PyTorch (not over a Java buffer). */
    private static NDArray constant(NDArray x, double c, NDManager owner) {
        return owner.full(new Shape(), (float) c, x.getDataType(), x.getDevice());
    }
}

package io.github.djladapters.models.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The switch between PyTorch's fused {@code scaled_dot_product_attention} ({@link TorchKernels#sdpa})
 * and attention written out in DJL ops (matmul, softmax, dropout, matmul) in the models' attention
 * blocks. On by default where the engine is PyTorch; the system property {@value #PROPERTY}{@code =false}
 * (read once) or {@link #setEnabled(boolean)} turns it off, for tests and A/B measurements.
 *
 * <pre>{@code
 * NDArray context = AttentionKernel.applies(q, k, v, mask)
 *         ? AttentionKernel.attend(q, k, v, mask, training ? dropout : 0f, scale)
 *         : writtenOut(q, k, v, mask);
 * }</pre>
 */
public final class AttentionKernel {

    /** The system property that, set to {@code false}, keeps attention written out in DJL ops. */
    public static final String PROPERTY = "djladapters.attention.kernel";

    private static volatile boolean enabled = !"false".equals(System.getProperty(PROPERTY));

    private AttentionKernel() {}

    /**
     * Whether the fused kernel is switched on (it still runs only where {@link #applies} holds).
     *
     * @return the switch
     */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Switches the fused kernel on or off for the whole process (attention calls already running are
     * not affected).
     *
     * @param on true for the fused kernel, false for attention written out in DJL ops
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * Whether {@link #attend} takes these inputs: the switch is on, the engine is PyTorch, keys and
     * values have the same number of heads, which divides the query's, and the mask (if any) is an
     * additive mask of four dimensions and the query's data type.
     *
     * @param q {@code [B, heads, T, headDim]}
     * @param k {@code [B, kvHeads, S, headDim]}
     * @param v {@code [B, kvHeads, S, headDim]}
     * @param mask additive mask or null
     * @return true when the fused kernel computes this attention
     */
    public static boolean applies(NDArray q, NDArray k, NDArray v, NDArray mask) {
        if (!enabled || !TorchKernels.available()) {
            return false;
        }
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        if (qs.dimension() != 4 || ks.dimension() != 4 || v.getShape().get(1) != ks.get(1)
                || qs.get(1) % ks.get(1) != 0) {
            return false;
        }
        return mask == null || mask.getShape().dimension() == 4 && mask.getDataType() == q.getDataType();
    }

    /**
     * {@code softmax(q k^T scale + mask) v}, with dropout on the attention weights, in PyTorch's fused
     * kernel; for grouped key/value heads, each key/value head's query heads become query rows of one
     * attention ({@link TorchKernels#sdpa}), the keys and values are not copied.
     *
     * @param q {@code [B, heads, T, headDim]}
     * @param k {@code [B, kvHeads, S, headDim]}
     * @param v {@code [B, kvHeads, S, headDim]}
     * @param mask additive mask broadcastable to {@code [B, heads, T, S]}, or null
     * @param dropout the dropout probability of the attention weights (0 outside training)
     * @param scale the factor of the scores
     * @return {@code [B, heads, T, headDim]}, owned by the manager of {@code q}
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, float dropout, float scale) {
        return TorchKernels.on(q.getDevice()).sdpa(q, k, v, mask, dropout, false, scale);
    }
}

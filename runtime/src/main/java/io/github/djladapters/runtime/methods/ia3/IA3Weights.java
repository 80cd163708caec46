package io.github.djladapters.runtime.methods.ia3;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;

/**
 * One IA3 adapter at one module: {@code ia3_l}, {@code [out, 1]} scaling the output, or
 * {@code [1, in]} scaling the input of a feed-forward module (PEFT's shapes).
 */
public final class IA3Weights extends AdapterWeights {

    private final Parameter scale;
    private final boolean feedforward;
    private final NDArray outputMask;

    IA3Weights(NDArray scale, boolean feedforward, NDArray outputMask) {
        this.scale = newParameter("ia3_l", scale);
        this.feedforward = feedforward;
        this.outputMask = outputMask;
    }

    /**
     * The learned vector.
     *
     * @return {@code ia3_l}
     */
    public Parameter scale() {
        return scale;
    }

    /**
     * Whether this scales the module's input.
     *
     * @return true for a feed-forward module
     */
    public boolean feedforward() {
        return feedforward;
    }

    /**
     * Keeps a change on the targeted fused q/k/v output features only.
     *
     * @param change {@code [..., out]}
     * @return the masked change, owned by the manager of {@code change}
     */
    NDArray maskOutputs(NDArray change) {
        return outputMask == null ? change : change.mul(outputMask);
    }

    boolean masked() {
        return outputMask != null;
    }
}

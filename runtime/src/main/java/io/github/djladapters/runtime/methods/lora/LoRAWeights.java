package io.github.djladapters.runtime.methods.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;

/**
 * One LoRA adapter at one module: {@code lora_A [r, in]}, {@code lora_B [out, r]}, with DoRA
 * {@code lora_magnitude_vector [out]}, with gating the gate {@code gate.weight [1, in]} and
 * {@code gate.bias [1]}, plus the numbers its forward needs.
 */
public final class LoRAWeights extends AdapterWeights {

    private final Parameter loraA;
    private final Parameter loraB;
    private final Parameter magnitude;
    private final Parameter gateWeight;
    private final Parameter gateBias;
    private final int rank;
    private final double scaling;
    private final float dropout;
    private final NDArray outputMask;
    private NDArray mergedWeightNorm;
    private volatile int version;

    LoRAWeights(NDArray a, NDArray b, NDArray magnitude, NDArray[] gate, double scaling, float dropout,
            NDArray outputMask) {
        this.loraA = newParameter("lora_A", a);
        this.loraB = newParameter("lora_B", b);
        this.magnitude = magnitude == null ? null : newParameter("lora_magnitude_vector", magnitude);
        this.gateWeight = gate == null ? null : newParameter("gate_weight", gate[0]);
        this.gateBias = gate == null ? null : newParameter("gate_bias", gate[1]);
        this.rank = Math.toIntExact(a.getShape().get(0));
        this.scaling = scaling;
        this.dropout = dropout;
        this.outputMask = outputMask;
    }

    /**
     * The down projection.
     *
     * @return {@code lora_A}, {@code [r, in]}
     */
    public Parameter loraA() {
        return loraA;
    }

    /**
     * The up projection.
     *
     * @return {@code lora_B}, {@code [out, r]}
     */
    public Parameter loraB() {
        return loraB;
    }

    /**
     * DoRA's magnitude vector.
     *
     * @return {@code lora_magnitude_vector}, {@code [out]}, or null without DoRA
     */
    public Parameter magnitude() {
        return magnitude;
    }

    /**
     * The gate's weight (the adapters library's {@code use_gating}).
     *
     * @return {@code gate.weight}, {@code [1, in]}, or null without gating
     */
    public Parameter gateWeight() {
        return gateWeight;
    }

    /**
     * The gate's bias.
     *
     * @return {@code gate.bias}, {@code [1]}, or null without gating
     */
    public Parameter gateBias() {
        return gateBias;
    }

    /**
     * Whether a learned gate scales this adapter's output in place of alpha/r.
     *
     * @return true with gating
     */
    public boolean gated() {
        return gateWeight != null;
    }

    /**
     * The rank, after {@code rank_pattern}.
     *
     * @return r
     */
    public int rank() {
        return rank;
    }

    /**
     * The factor on {@code B A x}: alpha/r, or alpha/sqrt(r) with rsLoRA.
     *
     * @return the scaling
     */
    public double scaling() {
        return scaling;
    }

    /**
     * Dropout on the LoRA branch's input while training.
     *
     * @return the rate
     */
    public float dropout() {
        return dropout;
    }

    /**
     * Whether this adapter is DoRA.
     *
     * @return true with a magnitude vector
     */
    public boolean dora() {
        return magnitude != null;
    }

    /**
     * Zeroes the output features of untargeted fused q/k/v slices; the identity otherwise. Applied
     * to the LoRA output (or to B, whose rows are those features), so those slices never change.
     *
     * @param outputs an array whose last axis is the output features ({@code [.., out]}), or B
     *     transposed
     * @return the masked array, owned by the manager of {@code outputs}
     */
    NDArray maskOutputs(NDArray outputs) {
        return outputMask == null ? outputs : outputs.mul(outputMask);
    }

    /** Whether B's rows of untargeted fused slices are zeroed on use ({@link #effectiveB}). */
    boolean masksOutputs() {
        return outputMask != null;
    }

    /**
     * B with the rows of untargeted fused slices zeroed, the B that PEFT would apply to the whole
     * fused module.
     *
     * @param b a copy of {@code lora_B}, {@code [out, r]}
     * @return the effective B, owned by the manager of {@code b}
     */
    NDArray effectiveB(NDArray b) {
        return outputMask == null ? b : maskOutputs(b.transpose()).transpose();
    }

    /**
     * Whether the per-row path may reuse a copy of this adapter's A and B: plain LoRA (no DoRA, no
     * gate) whose A and B are frozen, so that no optimizer step can change them in place.
     *
     * @return true when a cached copy stays valid until {@link #version()} changes
     */
    boolean cacheable() {
        return !dora() && !gated() && frozen();
    }

    /**
     * Whether A and B are frozen: an optimizer changes only trainable parameters, and only after a
     * forward that saw them trainable (which counts as a change, see {@link #version()}).
     *
     * @return true when neither takes gradients
     */
    boolean frozen() {
        return !loraA.requiresGradient() && !loraB.requiresGradient();
    }

    /**
     * Counts the changes of A and B made through the layer (a load or update of its tensors) and the
     * forwards that ran while they were trainable (after which an optimizer step may change them in
     * place), so that copies taken before a change are never reused after it.
     *
     * @return the number of changes so far
     */
    int version() {
        return version;
    }

    void changed() {
        version++;
    }

    NDArray mergedWeightNorm() {
        return mergedWeightNorm;
    }

    void setMergedWeightNorm(NDArray norm) {
        if (mergedWeightNorm != null) {
            mergedWeightNorm.close();
        }
        mergedWeightNorm = norm;
    }
}

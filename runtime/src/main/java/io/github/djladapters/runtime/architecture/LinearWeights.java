package io.github.djladapters.runtime.architecture;

import ai.djl.nn.Parameter;
import java.util.Optional;

/**
 * A linear projection that is not a DJL {@code Linear}, telling adapter methods where its weight is
 * and how it is laid out. GPT-2's {@code Conv1D} stores its weight as {@code [in, out]} and
 * computes {@code x W + b}; it implements this with {@link #fanInFanOut()} true so that LoRA merges
 * a transposed delta, as PEFT's {@code fan_in_fan_out} does.
 *
 * <pre>{@code
 * final class Conv1D extends AbstractBlock implements LinearWeights {
 *     public Parameter weight() { return weight; }          // [in, out]
 *     public Optional<Parameter> bias() { return Optional.of(bias); }
 *     public boolean fanInFanOut() { return true; }
 * }
 * }</pre>
 */
public interface LinearWeights {

    /**
     * The weight.
     *
     * @return {@code [out, in]}, or {@code [in, out]} when {@link #fanInFanOut()}
     */
    Parameter weight();

    /**
     * The bias, added after the product.
     *
     * @return the {@code [out]} bias, or empty
     */
    Optional<Parameter> bias();

    /**
     * Whether the weight is stored {@code [in, out]}.
     *
     * @return true for GPT-2 style {@code Conv1D}
     */
    boolean fanInFanOut();
}

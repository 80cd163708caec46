package io.github.djladapters.runtime.merging;

import java.util.Locale;

/** The adapters library's {@code combine_strategy} of {@code average_adapter}. */
public enum CombineStrategy {
    /** Every tensor of the adapters, weighted and summed (any method). */
    LINEAR,
    /** LoRA: B weighted as given, A by the weight's magnitude, so a negative weight negates B only. */
    LORA_LINEAR_ONLY_NEGATE_B,
    /** LoRA: {@code sum_i w_i B_i A_i} factored back to {@code svd_rank} by SVD. */
    LORA_DELTA_W_SVD;

    /**
     * The adapters library's name.
     *
     * @return for example {@code lora_delta_w_svd}
     */
    public String libraryName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

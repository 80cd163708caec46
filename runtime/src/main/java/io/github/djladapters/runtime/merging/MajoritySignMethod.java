package io.github.djladapters.runtime.merging;

import java.util.Locale;

/** PEFT's {@code majority_sign_method}: how TIES elects the sign of each element. */
public enum MajoritySignMethod {
    /** The sign of the sum of the (pruned, unweighted) values. */
    TOTAL,
    /** The sign held by more of the adapters (a tie elects +). */
    FREQUENCY;

    /**
     * PEFT's name.
     *
     * @return {@code total} or {@code frequency}
     */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

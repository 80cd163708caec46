package io.github.djladapters.runtime.merging;

import java.util.Locale;

/**
 * PEFT's {@code combination_type} of {@code add_weighted_adapter}: how LoRA adapters combine into one.
 * The types without {@code _svd} combine the A and B factors separately (each weighted by the square
 * root of {@code weight * scaling}, the sign on A); {@code svd} and the {@code _svd} types combine the
 * full updates {@code scaling * B A} and factor the result back to rank {@code svd_rank} with a
 * singular value decomposition; {@code cat} stacks the factors, so its update is exactly the weighted
 * sum of the updates.
 */
public enum CombinationType {
    /** Weighted sum of the A factors and of the B factors; all ranks equal. */
    LINEAR(TaskMerge.TASK_ARITHMETIC, false),
    /** A and B concatenated along the rank; the new rank is the sum of the ranks. */
    CAT(null, false),
    /** Weighted sum of the updates, factored by SVD. */
    SVD(TaskMerge.TASK_ARITHMETIC, true),
    /** TIES on the factors: magnitude pruning, sign election, disjoint mean. */
    TIES(TaskMerge.TIES, false),
    /** TIES on the updates, factored by SVD. */
    TIES_SVD(TaskMerge.TIES, true),
    /** DARE on the factors: random pruning with rescaling, then a weighted sum. */
    DARE_LINEAR(TaskMerge.DARE_LINEAR, false),
    /** DARE then TIES's sign election on the factors. */
    DARE_TIES(TaskMerge.DARE_TIES, false),
    /** DARE on the updates, factored by SVD. */
    DARE_LINEAR_SVD(TaskMerge.DARE_LINEAR, true),
    /** DARE-TIES on the updates, factored by SVD. */
    DARE_TIES_SVD(TaskMerge.DARE_TIES, true),
    /** Magnitude pruning then a weighted sum, on the factors. */
    MAGNITUDE_PRUNE(TaskMerge.MAGNITUDE_PRUNE, false),
    /** Magnitude pruning then a weighted sum, on the updates, factored by SVD. */
    MAGNITUDE_PRUNE_SVD(TaskMerge.MAGNITUDE_PRUNE, true);

    private final TaskMerge merge;
    private final boolean svd;

    CombinationType(TaskMerge merge, boolean svd) {
        this.merge = merge;
        this.svd = svd;
    }

    /**
     * PEFT's name.
     *
     * @return for example {@code dare_ties_svd}
     */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type for PEFT's name.
     *
     * @param name for example {@code ties}
     * @return the type
     * @throws IllegalArgumentException naming the valid names otherwise
     */
    public static CombinationType ofPeftName(String name) {
        for (CombinationType type : values()) {
            if (type.peftName().equals(name)) {
                return type;
            }
        }
        StringBuilder valid = new StringBuilder();
        for (CombinationType type : values()) {
            valid.append(valid.length() == 0 ? "" : ", ").append(type.peftName());
        }
        throw new IllegalArgumentException("combination_type '" + name + "' is not one of " + valid);
    }

    /**
     * Whether the result is factored by a singular value decomposition.
     *
     * @return true for {@code svd} and the {@code _svd} types
     */
    public boolean svd() {
        return svd;
    }

    /**
     * Whether the type prunes and so needs {@code density}.
     *
     * @return true for the ties, dare and magnitude_prune types
     */
    public boolean prunes() {
        return merge != null && merge != TaskMerge.TASK_ARITHMETIC;
    }

    /**
     * Whether every adapter must have the same rank (the types that combine factors element-wise).
     *
     * @return true for the types without {@code _svd}, except {@code cat}
     */
    public boolean needsEqualRanks() {
        return !svd && this != CAT;
    }

    TaskMerge merge() {
        return merge;
    }
}

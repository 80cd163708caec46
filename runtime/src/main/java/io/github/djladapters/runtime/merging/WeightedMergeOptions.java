package io.github.djladapters.runtime.merging;

import java.util.Objects;

/**
 * The options of PEFT's {@code add_weighted_adapter} besides the adapters and weights.
 *
 * <pre>{@code
 * WeightedMergeOptions.of(CombinationType.TIES).density(0.5).majoritySignMethod(MajoritySignMethod.FREQUENCY);
 * WeightedMergeOptions.of(CombinationType.SVD).svdRank(16).svdClamp(0.99);
 * }</pre>
 *
 * @param combinationType {@code combination_type}; PEFT's default is {@code svd}
 * @param svdRank {@code svd_rank}: the rank of an SVD result; null for the largest source rank
 * @param svdClamp {@code svd_clamp}: a quantile in [0, 1] at which the SVD factors are clamped; null
 *     for none
 * @param density {@code density}: the fraction of values pruning keeps, in [0, 1]; required by the
 *     ties, dare and magnitude_prune types
 * @param majoritySignMethod {@code majority_sign_method} for the ties types; default total
 * @param seed the seed of DARE's random masks; null for a fresh random seed (PEFT draws from
 *     PyTorch's global generator, so its masks are not reproduced either way)
 */
public record WeightedMergeOptions(CombinationType combinationType, Integer svdRank, Double svdClamp, Double density,
        MajoritySignMethod majoritySignMethod, Long seed) {

    /** Checks the values. */
    public WeightedMergeOptions {
        Objects.requireNonNull(combinationType, "combination_type");
        majoritySignMethod = majoritySignMethod == null ? MajoritySignMethod.TOTAL : majoritySignMethod;
        if (svdRank != null && svdRank <= 0) {
            throw new IllegalArgumentException("svd_rank must be positive, got " + svdRank);
        }
        if (svdClamp != null && !(svdClamp >= 0 && svdClamp <= 1)) {
            throw new IllegalArgumentException("svd_clamp is a quantile in [0, 1], got " + svdClamp);
        }
        if (density != null && !(density >= 0 && density <= 1)) {
            throw new IllegalArgumentException("density must be in [0, 1], got " + density);
        }
    }

    /**
     * Options with PEFT's defaults for one combination type.
     *
     * @param type the combination type
     * @return the options
     */
    public static WeightedMergeOptions of(CombinationType type) {
        return new WeightedMergeOptions(type, null, null, null, MajoritySignMethod.TOTAL, null);
    }

    /**
     * These options with another {@code svd_rank}.
     *
     * @param rank the rank
     * @return a copy
     */
    public WeightedMergeOptions svdRank(int rank) {
        return new WeightedMergeOptions(combinationType, rank, svdClamp, density, majoritySignMethod, seed);
    }

    /**
     * These options with another {@code svd_clamp}.
     *
     * @param quantile the quantile
     * @return a copy
     */
    public WeightedMergeOptions svdClamp(double quantile) {
        return new WeightedMergeOptions(combinationType, svdRank, quantile, density, majoritySignMethod, seed);
    }

    /**
     * These options with another {@code density}.
     *
     * @param fraction the fraction kept
     * @return a copy
     */
    public WeightedMergeOptions density(double fraction) {
        return new WeightedMergeOptions(combinationType, svdRank, svdClamp, fraction, majoritySignMethod, seed);
    }

    /**
     * These options with another {@code majority_sign_method}.
     *
     * @param method the method
     * @return a copy
     */
    public WeightedMergeOptions majoritySignMethod(MajoritySignMethod method) {
        return new WeightedMergeOptions(combinationType, svdRank, svdClamp, density, method, seed);
    }

    /**
     * These options with a seed for DARE's masks.
     *
     * @param value the seed
     * @return a copy
     */
    public WeightedMergeOptions seed(long value) {
        return new WeightedMergeOptions(combinationType, svdRank, svdClamp, density, majoritySignMethod, value);
    }
}

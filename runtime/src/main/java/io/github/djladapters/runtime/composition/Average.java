package io.github.djladapters.runtime.composition;

import java.util.Collections;
import java.util.List;

/**
 * Output averaging: at every site, the weighted sum of the children's outputs. Weights are divided
 * by their sum unless told otherwise, as the library's {@code normalize_weights=True}; with no
 * weights every child gets {@code 1/n}. What is summed is each child's contribution to the site's
 * output (the base output plus the weighted contributions), which equals the weighted sum of the
 * outputs whenever the weights add up to 1.
 *
 * @param children the adapters or nested blocks, in order
 * @param weights the weight of each child, as applied
 */
public record Average(List<Composition> children, List<Double> weights) implements Composition {

    /** Checks one finite weight per child. */
    public Average {
        children = List.copyOf(children);
        weights = List.copyOf(weights);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("Average needs at least one adapter");
        }
        if (weights.size() != children.size()) {
            throw new IllegalArgumentException("Average got " + weights.size() + " weights for " + children.size()
                    + " children " + children);
        }
        for (double weight : weights) {
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("Average weights must be finite, got " + weights);
            }
        }
    }

    /**
     * An equal-weight average of adapters.
     *
     * @param adapters adapter names
     * @return the block, each weight {@code 1/n}
     */
    public static Average of(String... adapters) {
        return new Average(Composition.leaves(adapters), Collections.nCopies(adapters.length, 1.0 / adapters.length));
    }

    /**
     * A weighted average of adapters, weights divided by their sum.
     *
     * @param weights one weight per adapter
     * @param adapters adapter names
     * @return the block
     */
    public static Average of(List<Double> weights, String... adapters) {
        return of(Composition.leaves(adapters), weights, true);
    }

    /**
     * A weighted average of adapters and nested blocks.
     *
     * @param children the children
     * @param weights one weight per child
     * @param normalizeWeights whether to divide the weights by their sum (the library's default)
     * @return the block
     */
    public static Average of(List<Composition> children, List<Double> weights, boolean normalizeWeights) {
        if (!normalizeWeights) {
            return new Average(children, weights);
        }
        double sum = weights.stream().mapToDouble(Double::doubleValue).sum();
        if (sum == 0) {
            throw new IllegalArgumentException("Average weights " + weights + " add up to 0 and cannot be normalized");
        }
        return new Average(children, weights.stream().map(w -> w / sum).toList());
    }

    @Override
    public String blockName() {
        return "Average";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children) + " weights=" + weights;
    }
}

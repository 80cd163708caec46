package io.github.djladapters.runtime.composition;

import java.util.List;

/**
 * The same input through each branch: the batch is replicated once per branch and every copy runs
 * its own adapter, so one forward returns one output per branch
 * ({@code AdapterModel.forwardBranches}), or all of them concatenated along the batch
 * ({@code AdapterModel.forward}, as the library returns them).
 *
 * @param children the adapters or nested blocks, in order
 */
public record Parallel(List<Composition> children) implements Composition {

    /** Copies the children and checks there is at least one. */
    public Parallel {
        children = List.copyOf(children);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("Parallel needs at least one adapter");
        }
    }

    /**
     * A Parallel of adapters.
     *
     * @param adapters adapter names
     * @return the block
     */
    public static Parallel of(String... adapters) {
        return new Parallel(Composition.leaves(adapters));
    }

    /**
     * A Parallel of adapters and nested blocks.
     *
     * @param children the children
     * @return the block
     */
    public static Parallel of(Composition... children) {
        return new Parallel(List.of(children));
    }

    @Override
    public String blockName() {
        return "Parallel";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children);
    }
}

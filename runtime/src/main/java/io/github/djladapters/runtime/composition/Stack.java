package io.github.djladapters.runtime.composition;

import java.util.List;

/**
 * Adapters applied on top of each other at every site (MAD-X): at a bottleneck site the output of the first
 * is the input of the second; for methods whose adapters add to a module's output (LoRA, IA3, ReFT) it is
 * their plain joint activation, as {@code setActiveAdapters(String...)} gives.
 *
 * @param children the adapters or nested blocks, in order
 */
public record Stack(List<Composition> children) implements Composition {

    /** Copies the children and checks there is at least one. */
    public Stack {
        children = List.copyOf(children);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("Stack needs at least one adapter");
        }
    }

    /**
     * A Stack of adapters.
     *
     * @param adapters adapter names
     * @return the block
     */
    public static Stack of(String... adapters) {
        return new Stack(Composition.leaves(adapters));
    }

    /**
     * A Stack of adapters and nested blocks.
     *
     * @param children the children
     * @return the block
     */
    public static Stack of(Composition... children) {
        return new Stack(List.of(children));
    }

    @Override
    public String blockName() {
        return "Stack";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children);
    }
}

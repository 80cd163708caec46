package io.github.djladapters.runtime.composition;

import java.util.Collections;
import java.util.List;

/**
 * The sequence cut at positions, one range per child: at every site the first {@code splits[0]}
 * positions take the first child's output, the next {@code splits[1]} the second's, and so on. The
 * sequence must have exactly their sum of positions.
 *
 * @param children the adapters or nested blocks, in order
 * @param splits the positions of each child, one per child, each at least 1
 */
public record Split(List<Composition> children, List<Integer> splits) implements Composition {

    /** Checks one positive length per child. */
    public Split {
        children = List.copyOf(children);
        splits = List.copyOf(splits);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("Split needs at least one adapter");
        }
        if (splits.size() != children.size()) {
            throw new IllegalArgumentException("Split got " + splits.size() + " splits for " + children.size()
                    + " children " + children);
        }
        for (int length : splits) {
            if (length < 1) {
                throw new IllegalArgumentException("Split lengths must be at least 1, got " + splits);
            }
        }
    }

    /**
     * A split of the sequence between adapters.
     *
     * @param splits the positions of each adapter
     * @param adapters adapter names
     * @return the block
     */
    public static Split of(List<Integer> splits, String... adapters) {
        return new Split(Composition.leaves(adapters), splits);
    }

    /**
     * A split of the sequence into equal parts, as the library's single {@code splits} value.
     *
     * @param split the positions of every adapter
     * @param adapters adapter names
     * @return the block
     */
    public static Split of(int split, String... adapters) {
        return new Split(Composition.leaves(adapters), Collections.nCopies(adapters.length, split));
    }

    @Override
    public String blockName() {
        return "Split";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children) + " splits=" + splits;
    }
}

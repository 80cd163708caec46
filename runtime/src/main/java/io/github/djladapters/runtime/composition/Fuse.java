package io.github.djladapters.runtime.composition;

import java.util.List;

/**
 * AdapterFusion (Pfeiffer et al., 2021) over bottleneck adapters: a trained attention that mixes
 * their outputs at every site. Needs a fusion layer added for exactly these adapters
 * ({@code AdapterModel.addAdapterFusion}).
 *
 * @param children the adapters or nested blocks, in order
 */
public record Fuse(List<Composition> children) implements Composition {

    /** Copies the children and checks there is at least one. */
    public Fuse {
        children = List.copyOf(children);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("Fuse needs at least one adapter");
        }
    }

    /**
     * A Fuse of adapters.
     *
     * @param adapters adapter names
     * @return the block
     */
    public static Fuse of(String... adapters) {
        return new Fuse(Composition.leaves(adapters));
    }

    /**
     * A Fuse of adapters and nested blocks.
     *
     * @param children the children
     * @return the block
     */
    public static Fuse of(Composition... children) {
        return new Fuse(List.of(children));
    }

    @Override
    public String blockName() {
        return "Fuse";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children);
    }
}

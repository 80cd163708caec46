package io.github.djladapters.runtime.methods;

/**
 * The Adapters library's composition blocks, as a method declares which of them its adapters can
 * take part in ({@link MethodProvider#compositions()}). The blocks themselves live in
 * {@code io.github.djladapters.runtime.composition}.
 */
public enum CompositionKind {
    /** Several adapters of the method applied together at each site, in order. */
    STACK("Stack"),
    /** The batch replicated, one copy per branch, each row routed to its branch's adapter. */
    PARALLEL("Parallel"),
    /** The batch cut into consecutive parts, one per branch, each row routed to its part's adapter. */
    BATCH_SPLIT("BatchSplit"),
    /** Each site's output a weighted sum of the adapters' outputs. */
    AVERAGE("Average"),
    /** Each site's output taken from one adapter per range of sequence positions. */
    SPLIT("Split"),
    /** AdapterFusion: a trained attention over the adapters' outputs at each site. */
    FUSE("Fuse");

    private final String blockName;

    CompositionKind(String blockName) {
        this.blockName = blockName;
    }

    /**
     * The block's name, as the Adapters library spells its class.
     *
     * @return for example {@code BatchSplit}
     */
    public String blockName() {
        return blockName;
    }
}

package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;

/**
 * An {@link AdapterLayer} whose adapters act on activations and never write into the base weights
 * (bottleneck, invertible and ReFT adapters, and the weightless helper wrappers): merging is not
 * offered, and asking for it fails naming the kind of adapter.
 *
 * @param <A> one adapter's weights
 */
public abstract class UnmergedAdapterLayer<A extends Block> extends AdapterLayer<A> {

    private final String adapterKind;

    /**
     * Wraps a block.
     *
     * @param base the wrapped block
     * @param modulePath the module's path, for messages
     * @param activation which adapters a forward applies
     * @param adapterKind the adapters in messages, such as {@code "bottleneck adapters"}
     */
    protected UnmergedAdapterLayer(Block base, String modulePath, AdapterActivation activation, String adapterKind) {
        super(base, modulePath, activation);
        this.adapterKind = adapterKind;
    }

    /** Never: the adapters are not merged. */
    @Override
    public final boolean mergeable() {
        return false;
    }

    @Override
    protected final PendingMerge prepareMerge(String name, A weights) {
        throw new UnsupportedOperationException(adapterKind + " are not merged");
    }

    @Override
    protected final void unmerge(String name, A weights) {}
}

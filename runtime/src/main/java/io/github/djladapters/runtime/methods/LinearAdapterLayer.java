package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;

/**
 * An {@link AdapterLayer} around a linear projection (LoRA, IA3), with the base's weights at hand
 * for the method's math, merging and per-row products.
 *
 * @param <A> one adapter's weights
 */
public abstract class LinearAdapterLayer<A extends Block> extends AdapterLayer<A> {

    private final LinearBase linear;

    /**
     * Wraps a linear block.
     *
     * @param base a {@code Linear} or another block {@link LinearBase} reads
     * @param modulePath the module's path, for messages
     * @param activation which adapters a forward applies
     */
    protected LinearAdapterLayer(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
        this.linear = LinearBase.of(base, modulePath);
    }

    /**
     * The weights of the wrapped projection.
     *
     * @return the base weight and bias
     */
    public LinearBase linear() {
        return linear;
    }
}

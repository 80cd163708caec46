package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;

/**
 * What an adapter does to the hidden states a transformer layer outputs (ReFT's interventions),
 * called by a {@link LayerOutputExtendingModel} after each layer. Arrays it creates belong to the
 * manager of the array it receives. The real tokens of each row, for an extension that picks
 * positions, are in {@link RealTokens#current()} when the model opened a window.
 */
@FunctionalInterface
public interface LayerOutputExtension {

    /**
     * Changes one layer's output.
     *
     * @param layer the layer index, from 0
     * @param hidden the layer's output hidden states, {@code [batch, seq, hidden]}
     * @return the hidden states the next layer (or the model's head) receives
     */
    NDArray extend(int layer, NDArray hidden);
}

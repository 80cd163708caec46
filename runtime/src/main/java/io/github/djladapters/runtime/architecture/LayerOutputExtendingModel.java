package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.Optional;

/**
 * A model that lets adapters change each layer's output hidden states, the hook point of ReFT-style
 * interventions (a layer in a typed list cannot be swapped for a wrapper). The model owns at most
 * one extension (adapters compose several into one) and, in its forward, passes each layer's output
 * through {@link #extendLayerOutput} before the next layer:
 *
 * <pre>{@code
 * for (int i = 0; i < layers.size(); i++) {
 *     x = extendLayerOutput(i, layers.get(i).forward(store, new NDList(x), training).head());
 * }
 * }</pre>
 */
public interface LayerOutputExtendingModel extends Block {

    /**
     * Installs the extension this model applies from its next forward on.
     *
     * @param extension the extension, or null to remove it
     */
    void setLayerOutputExtension(LayerOutputExtension extension);

    /**
     * The installed extension.
     *
     * @return the extension, or empty when none is installed
     */
    Optional<LayerOutputExtension> layerOutputExtension();

    /**
     * Applies the installed extension to one layer's output, or returns it unchanged.
     *
     * @param layer the layer index
     * @param hidden the layer's output
     * @return the hidden states to go on with
     */
    default NDArray extendLayerOutput(int layer, NDArray hidden) {
        return layerOutputExtension().map(extension -> extension.extend(layer, hidden)).orElse(hidden);
    }
}

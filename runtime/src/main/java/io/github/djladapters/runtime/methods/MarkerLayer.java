package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Map;

/**
 * A helper wrapper that holds no tensors: its adapters are weightless {@link Marker}s that only say
 * which adapters the wrapper serves (a residual recorder, a layer-norm bypass). Subclasses add the
 * forward.
 */
public abstract class MarkerLayer extends UnmergedAdapterLayer<MarkerLayer.Marker> {

    /** A parameter-free stand-in for one adapter. */
    public static final class Marker extends AdapterWeights {}

    private final String description;

    /**
     * Wraps a block.
     *
     * @param base the wrapped block
     * @param modulePath its module path
     * @param activation the model's shared activation state
     * @param adapterKind the adapters it serves in messages, such as {@code "ReFT adapters"}
     * @param description what this wrapper is in messages, such as {@code "the residual recorder"}
     */
    protected MarkerLayer(Block base, String modulePath, AdapterActivation activation, String adapterKind,
            String description) {
        super(base, modulePath, activation, adapterKind);
        this.description = description;
    }

    /**
     * Registers an adapter this wrapper serves.
     *
     * @param name the adapter name
     */
    public void add(String name) {
        putAdapter(name, new Marker());
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        return Map.of();
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        return Map.of();
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        throw new IllegalArgumentException(description + " at '" + modulePath() + "' holds no tensors");
    }
}

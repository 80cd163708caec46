package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.Map;

/**
 * A wrapper at a pre-sub-block hook point that records its input in a {@link ResidualSlot} for the
 * adapters after that sub-block. It changes nothing, holds no tensors and is never merged. Each
 * method that needs one subclasses it in its own package, so that one method's recorder is not
 * mistaken for another's.
 */
public abstract class ResidualRecorderLayer extends AdapterLayer<ResidualRecorderLayer.Marker> {

    /** A parameter-free stand-in for one adapter. */
    public static final class Marker extends AdapterWeights {}

    private final ResidualSlot slot;
    private final String method;

    /**
     * Wraps a hook point.
     *
     * @param base the hook point's block
     * @param modulePath its module path
     * @param activation the model's shared activation state
     * @param slot where the input is recorded
     * @param method the method's name in messages, such as {@code "ReFT adapters"}
     */
    protected ResidualRecorderLayer(Block base, String modulePath, AdapterActivation activation, ResidualSlot slot,
            String method) {
        super(base, modulePath, activation);
        this.slot = slot;
        this.method = method;
    }

    /**
     * Where this recorder puts the residual.
     *
     * @return the slot
     */
    public ResidualSlot slot() {
        return slot;
    }

    /**
     * Registers an adapter that reads the residual recorded here.
     *
     * @param name the adapter name
     */
    public void add(String name) {
        putAdapter(name, new Marker());
    }

    @Override
    public boolean mergeable() {
        return false;
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<Marker>> uses) {
        slot.put(inputs.head());
        return base().forward(store, inputs, training, params);
    }

    @Override
    protected PendingMerge prepareMerge(String name, Marker weights) {
        throw new UnsupportedOperationException(method + " are not merged");
    }

    @Override
    protected void unmerge(String name, Marker weights) {}

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
        throw new IllegalArgumentException("the residual recorder at '" + modulePath() + "' holds no tensors");
    }
}

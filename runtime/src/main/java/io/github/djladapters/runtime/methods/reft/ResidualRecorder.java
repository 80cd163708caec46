package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.AdapterWeights;
import io.github.djladapters.runtime.methods.PendingMerge;
import java.util.List;
import java.util.Map;

/**
 * The wrapper at a pre-LN layer's {@code @PreFfn} norm that records its input (the residual stream
 * after attention) for the ReFT adapters of that layer. It changes nothing and holds no tensors.
 */
final class ResidualRecorder extends AdapterLayer<ResidualRecorder.Marker> {

    /** A parameter-free stand-in for one adapter. */
    static final class Marker extends AdapterWeights {}

    private final ResidualSlot slot;

    ResidualRecorder(Block base, String modulePath, AdapterActivation activation, ResidualSlot slot) {
        super(base, modulePath, activation);
        this.slot = slot;
    }

    ResidualSlot slot() {
        return slot;
    }

    void add(String name) {
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
        throw new UnsupportedOperationException("ReFT adapters are not merged");
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

package io.github.djladapters.runtime.methods.bottleneck;

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
import io.github.djladapters.runtime.methods.PendingMerge;
import java.util.List;
import java.util.Map;

/**
 * The wrapper at a pre-sub-block hook point ({@code @PreSelfAttention}, {@code @PreFfn}) that records
 * its input, the sub-block's residual, for the bottleneck adapters after that sub-block (the Adapters
 * library's {@code _residual_hook_fn}). It changes nothing.
 */
final class ResidualRecorder extends AdapterLayer<Marker> {

    private final ResidualSlot slot = new ResidualSlot();

    ResidualRecorder(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
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
        throw new UnsupportedOperationException("bottleneck adapters are not merged");
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
        throw new IllegalArgumentException("the residual hook at '" + modulePath() + "' holds no tensors");
    }
}

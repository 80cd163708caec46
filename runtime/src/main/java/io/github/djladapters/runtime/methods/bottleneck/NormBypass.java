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
 * The wrapper around a post-sub-block layer norm ({@code @LayerNorm1}, {@code @LayerNorm2}) for
 * bottleneck adapters with {@code original_ln_after = false}: for the rows those adapters apply to,
 * the model's own residual add and layer norm after the sub-block are skipped (the adapter's output
 * is the sub-block's result), as in the Adapters library's model-integrated layers. Other rows get
 * the layer norm.
 */
final class NormBypass extends AdapterLayer<Marker> {

    NormBypass(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
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
        NDArray sum = inputs.head();
        if (uses.stream().noneMatch(AdapterUse::routed)) {
            // one adapter or a Stack of adapters that all skip the model's layer norm
            return new NDList(sum);
        }
        NDArray normed = base().forward(store, inputs, training, params).head();
        NDArray out = normed;
        for (AdapterUse<Marker> use : uses) {
            out = out.add(use.onRows(sum.sub(normed)));
        }
        return new NDList(out);
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
        throw new IllegalArgumentException("the layer-norm bypass at '" + modulePath() + "' holds no tensors");
    }
}

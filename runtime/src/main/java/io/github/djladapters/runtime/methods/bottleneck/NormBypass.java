package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.MarkerLayer;
import java.util.List;

/**
 * The wrapper around a post-sub-block layer norm ({@code @LayerNorm1}, {@code @LayerNorm2}) for
 * bottleneck adapters with {@code original_ln_after = false}: for the rows those adapters apply to,
 * the model's own residual add and layer norm after the sub-block are skipped (the adapter's output
 * is the sub-block's result), as in the Adapters library's model-integrated layers. Other rows get
 * the layer norm.
 */
final class NormBypass extends MarkerLayer {

    NormBypass(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation, "bottleneck adapters", "the layer-norm bypass");
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
}

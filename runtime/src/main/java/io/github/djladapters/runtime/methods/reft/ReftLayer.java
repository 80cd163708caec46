package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.ResidualSlot;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.NamedParameterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import java.util.List;
import java.util.Map;

/**
 * The ReFT adapters of one layer, on that layer's output hidden states, applied one after another in
 * activation order (the second sees the first's output). The wrapper sits where the layer output is
 * made: at the {@code @LayerNorm2} of a post-LN layer, whose output is the layer output; or, in a
 * pre-LN layer, at the feed-forward {@code @OutputProj}, whose output {@code d} the layer adds to the
 * residual {@code a} recorded at {@code @PreFfn}: there it returns {@code d + (f(a + d) - (a + d))},
 * so the layer outputs {@code f(a + d)}. Tensor keys are the Adapters library's
 * ({@code <layer>.reft_layer.units.0.learned_source.weight}, ...).
 */
final class ReftLayer extends NamedParameterLayer<ReftWeights> {

    private final ResidualSlot residual;

    /**
     * Wraps the block that makes (or completes) a layer's output.
     *
     * @param base the block
     * @param modulePath the layer's path plus {@code .reft_layer}, the prefix of the tensor keys
     * @param activation the shared activation
     * @param residual where the residual is recorded for a pre-LN layer; null when the block's output
     *     is the layer output
     */
    ReftLayer(Block base, String modulePath, AdapterActivation activation, ResidualSlot residual) {
        super(base, modulePath, activation, "ReFT adapters, which act on hidden states,");
        this.residual = residual;
    }

    void add(String name, ReftWeights weights) {
        putAdapter(name, weights);
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<ReftWeights>> uses) {
        NDList out = base().forward(store, inputs, training, params);
        NDArray made = out.head();
        NDArray states = made;
        if (residual != null) {
            NDArray before = residual.take();
            if (before == null) {
                throw new IllegalStateException("ReFT at '" + modulePath() + "' found no residual recorded at the"
                        + " layer's @PreFfn in this forward");
            }
            states = before.add(made);
        }
        NDArray adapted = states;
        for (AdapterUse<ReftWeights> use : uses) {
            adapted = ReftIntervention.apply(use.adapter(), adapted, training, use);
        }
        NDList result = new NDList(residual == null ? adapted : made.add(adapted.sub(states)));
        result.addAll(out.subNDList(1));
        return result;
    }

    @Override
    protected Map<String, Parameter> namedParameters(ReftWeights weights) {
        return weights.namedParameters();
    }
}

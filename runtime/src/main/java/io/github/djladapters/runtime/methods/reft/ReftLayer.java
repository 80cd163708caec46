package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.methods.ResidualSlot;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.PendingMerge;
import java.util.LinkedHashMap;
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
final class ReftLayer extends AdapterLayer<ReftWeights> {

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
        super(base, modulePath, activation);
        this.residual = residual;
    }

    void add(String name, ReftWeights weights) {
        putAdapter(name, weights);
    }

    @Override
    public boolean mergeable() {
        return false;
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
    protected PendingMerge prepareMerge(String name, ReftWeights weights) {
        throw new UnsupportedOperationException("ReFT adapters act on hidden states and are not merged");
    }

    @Override
    protected void unmerge(String name, ReftWeights weights) {}

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        ReftWeights weights = require(name);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (int i = 0; i < weights.units.size(); i++) {
            ReftWeights.Unit unit = weights.units.get(i);
            tensors.put(ReftWeights.suffix(i, "learned_source.weight"), copy(unit.sourceWeight().getArray(), manager));
            tensors.put(ReftWeights.suffix(i, "learned_source.bias"), copy(unit.sourceBias().getArray(), manager));
            tensors.put(ReftWeights.suffix(i, "projection.weight"), copy(unit.projection().getArray(), manager));
        }
        return tensors;
    }

    private static NDArray copy(NDArray array, NDManager manager) {
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        ReftWeights weights = require(name);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (int i = 0; i < weights.units.size(); i++) {
            ReftWeights.Unit unit = weights.units.get(i);
            shapes.put(ReftWeights.suffix(i, "learned_source.weight"), unit.sourceWeight().getArray().getShape());
            shapes.put(ReftWeights.suffix(i, "learned_source.bias"), unit.sourceBias().getArray().getShape());
            shapes.put(ReftWeights.suffix(i, "projection.weight"), unit.projection().getArray().getShape());
        }
        return shapes;
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        ReftWeights weights = require(name);
        for (int i = 0; i < weights.units.size(); i++) {
            ReftWeights.Unit unit = weights.units.get(i);
            ai.djl.nn.Parameter parameter = suffix.equals(ReftWeights.suffix(i, "learned_source.weight"))
                    ? unit.sourceWeight()
                    : suffix.equals(ReftWeights.suffix(i, "learned_source.bias")) ? unit.sourceBias()
                    : suffix.equals(ReftWeights.suffix(i, "projection.weight")) ? unit.projection() : null;
            if (parameter != null) {
                ArrayValues.replace(parameter.getArray(), value);
                parameter.getArray().setRequiresGradient(parameter.requiresGradient());
                return;
            }
        }
        throw new IllegalArgumentException("'" + modulePath() + "' has no ReFT tensor " + suffix);
    }
}

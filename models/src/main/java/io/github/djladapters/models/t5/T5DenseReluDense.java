package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.models.blocks.Activations;
import java.util.function.UnaryOperator;

/**
 * The feed-forward projections of one T5 block ({@code DenseReluDense}): {@code wo(relu(wi x))}
 * for {@code feed_forward_proj = relu} ({@code T5DenseActDense}), or
 * {@code wo(gelu_new(wi_0 x) * wi_1 x)} for {@code gated-gelu} ({@code T5DenseGatedActDense}).
 * The intermediate projection adapters see is {@code wi}, or {@code wi_1} when gated (the linear
 * branch, like Llama's {@code up_proj}); the gate {@code wi_0} is a plain child that LoRA still
 * reaches by name.
 */
public final class T5DenseReluDense extends AbstractBlock {

    /** The gate {@code wi_0}, or null when not gated. */
    Block wi_0;
    /** {@code wi}, or {@code wi_1} when gated. */
    @IntermediateProj Block wi;
    @OutputProj Block wo;

    private final int dModel;
    private final int dFf;
    private final UnaryOperator<NDArray> activation;

    T5DenseReluDense(T5Config config) {
        dModel = config.dModel();
        dFf = config.dFf();
        activation = Activations.byName(config.feedForwardActivation());
        if (config.gatedFeedForward()) {
            wi_0 = addChildBlock("wi_0", T5Attention.linear(dFf));
            wi = addChildBlock("wi_1", T5Attention.linear(dFf));
        } else {
            wi = addChildBlock("wi", T5Attention.linear(dFf));
        }
        wo = addChildBlock("wo", T5Attention.linear(dModel));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = wi.forward(ps, inputs, training, params).head();
        if (wi_0 != null) {
            hidden = activation.apply(wi_0.forward(ps, inputs, training, params).head()).mul(hidden);
        } else {
            hidden = activation.apply(hidden);
        }
        return wo.forward(ps, new NDList(hidden), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, dModel);
        if (wi_0 != null) {
            wi_0.initialize(manager, dataType, in);
        }
        wi.initialize(manager, dataType, in);
        wo.initialize(manager, dataType, new Shape(1, dFf));
    }
}

package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.Activations;
import io.github.djladapters.annotations.IntermediateProj;
import java.util.Locale;
import java.util.function.UnaryOperator;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * The first half of a BERT feed-forward block ({@code intermediate}): the {@code dense}
 * projection to the intermediate width and the activation of {@code hidden_act}.
 */
public final class BertIntermediate extends AbstractBlock {

    @IntermediateProj Block dense;

    private final int hidden;
    private final UnaryOperator<NDArray> activation;

    BertIntermediate(BertConfig config) {
        hidden = config.hiddenSize();
        activation = Activations.byName(config.hiddenAct().toLowerCase(Locale.ROOT));
        dense = addChildBlock("dense", new FlatLinear(config.intermediateSize(), true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = dense.forward(ps, inputs, training, params).head();
        return new NDList(activation.apply(projected));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return dense.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, new Shape(1, hidden));
    }
}

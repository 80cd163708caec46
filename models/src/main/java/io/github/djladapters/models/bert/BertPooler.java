package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * BERT's pooler ({@code pooler}): {@code dense} and tanh over the first ([CLS]) token. Input: the
 * last hidden states {@code [B, T, H]}; output: {@code pooler_output [B, H]}.
 */
public final class BertPooler extends AbstractBlock {

    Block dense;

    private final int hidden;

    BertPooler(BertConfig config) {
        hidden = config.hiddenSize();
        dense = addChildBlock("dense", new FlatLinear(hidden, true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray first = inputs.head().get(new NDIndex(":, 0, :"));
        return new NDList(dense.forward(ps, new NDList(first), training, params).head().tanh());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), hidden)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, new Shape(1, hidden));
    }
}

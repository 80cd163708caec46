package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The end of a BERT sub-block, shared by the attention output and the feed-forward output:
 * {@code dense} back to the hidden width, dropout, residual add and {@code LayerNorm}. Inputs: the
 * sub-block's states and the residual (the sub-block's input). The subclasses hold the two child
 * blocks in fields carrying their roles, so that adapters can find and replace them.
 */
abstract class BertResidualNorm extends AbstractBlock {

    private final int inputWidth;
    private final int hidden;
    private final float dropout;

    BertResidualNorm(BertConfig config, int inputWidth) {
        this.inputWidth = inputWidth;
        this.hidden = config.hiddenSize();
        this.dropout = config.hiddenDropoutProb();
    }

    /** The projection back to the hidden width, as the subclass's field holds it now. */
    abstract Block dense();

    /** The layer norm after the residual add, as the subclass's field holds it now. */
    abstract Block layerNorm();

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = dense().forward(ps, new NDList(inputs.get(0)), training, params).head();
        if (training && dropout > 0) {
            projected = Dropout.dropout(projected, dropout, true).head();
        }
        return layerNorm().forward(ps, new NDList(projected.add(inputs.get(1))), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[1]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense().initialize(manager, dataType, new Shape(1, inputWidth));
        layerNorm().initialize(manager, dataType, new Shape(1, hidden));
    }
}

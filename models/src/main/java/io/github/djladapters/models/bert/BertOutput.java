package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.LayerNorm2;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * The second half of a BERT feed-forward block ({@code output}): {@code dense} back to the hidden
 * width, dropout, residual add and {@code LayerNorm}. Inputs: the activated intermediate states and
 * the residual (the feed-forward block's input).
 */
public final class BertOutput extends AbstractBlock {

    @OutputProj Block dense;
    @LayerNorm2 Block layerNorm;

    private final int hidden;
    private final int intermediate;
    private final float dropout;

    BertOutput(BertConfig config) {
        hidden = config.hiddenSize();
        intermediate = config.intermediateSize();
        dropout = config.hiddenDropoutProb();
        dense = addChildBlock("dense", Linear.builder().setUnits(hidden).build());
        layerNorm = addChildBlock("LayerNorm", new LayerNorm(hidden, config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = dense.forward(ps, new NDList(inputs.get(0)), training, params).head();
        if (training && dropout > 0) {
            projected = Dropout.dropout(projected, dropout, true).head();
        }
        return layerNorm.forward(ps, new NDList(projected.add(inputs.get(1))), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[1]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, new Shape(1, intermediate));
        layerNorm.initialize(manager, dataType, new Shape(1, hidden));
    }
}

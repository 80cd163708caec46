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
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * The feed-forward sub-layer of a T5 block ({@code block.N.layer.1} in the encoder,
 * {@code layer.2} in the decoder): {@code x + DenseReluDense(layer_norm(x))}. Input and output:
 * hidden states {@code [B, T, d_model]}.
 */
public final class T5LayerFF extends AbstractBlock {

    T5DenseReluDense DenseReluDense;
    @PreFfn Block layer_norm;

    private final int dModel;

    T5LayerFF(T5Config config) {
        dModel = config.dModel();
        DenseReluDense = addChildBlock("DenseReluDense", new T5DenseReluDense(config));
        layer_norm = addChildBlock("layer_norm", new RmsNorm(dModel, config.layerNormEpsilon()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList normed = layer_norm.forward(ps, new NDList(x), training, params);
        return new NDList(x.add(DenseReluDense.forward(ps, normed, training, params).head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, dModel);
        DenseReluDense.initialize(manager, dataType, hidden);
        layer_norm.initialize(manager, dataType, hidden);
    }
}

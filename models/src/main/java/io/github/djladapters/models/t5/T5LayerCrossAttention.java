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
import io.github.djladapters.annotations.CrossAttention;
import io.github.djladapters.annotations.PreCrossAttention;
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * The cross-attention sub-layer of a T5 decoder block ({@code block.N.layer.1}):
 * {@code x + EncDecAttention(layer_norm(x), encoder output)}. Inputs: hidden states, the encoder
 * padding bias {@code [B, 1, 1, S]}, and the keys and values of the encoder output (projected once,
 * see {@link T5Attention#keyValues}); output: hidden states.
 */
public final class T5LayerCrossAttention extends AbstractBlock {

    @CrossAttention T5Attention EncDecAttention;
    @PreCrossAttention Block layer_norm;

    private final int dModel;

    T5LayerCrossAttention(T5Config config) {
        dModel = config.dModel();
        EncDecAttention = addChildBlock("EncDecAttention", new T5Attention(config, true, false, false));
        layer_norm = addChildBlock("layer_norm", new RmsNorm(dModel, config.layerNormEpsilon()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList attentionInputs = new NDList(layer_norm.forward(ps, new NDList(x), training, params).head());
        attentionInputs.addAll(inputs.subNDList(1));
        return new NDList(x.add(EncDecAttention.forward(ps, attentionInputs, training, params).head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, dModel);
        EncDecAttention.initialize(manager, dataType, hidden);
        layer_norm.initialize(manager, dataType, hidden);
    }
}

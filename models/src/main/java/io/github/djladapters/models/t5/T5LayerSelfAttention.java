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
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * The self-attention sub-layer of a T5 block ({@code block.N.layer.0}):
 * {@code x + SelfAttention(layer_norm(x))}. Inputs: hidden states, the additive bias (relative
 * positions plus mask), and optionally cached keys and values; outputs: hidden states, then the keys
 * and values of all positions.
 */
public final class T5LayerSelfAttention extends AbstractBlock {

    @SelfAttention T5Attention SelfAttention;
    @PreSelfAttention Block layer_norm;

    private final int dModel;

    T5LayerSelfAttention(T5Config config, boolean relativeBias, boolean bidirectional) {
        dModel = config.dModel();
        SelfAttention = addChildBlock("SelfAttention", new T5Attention(config, false, relativeBias, bidirectional));
        layer_norm = addChildBlock("layer_norm", new RmsNorm(dModel, config.layerNormEpsilon()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList attentionInputs = new NDList(layer_norm.forward(ps, new NDList(x), training, params).head());
        attentionInputs.addAll(inputs.subNDList(1));
        NDList attended = SelfAttention.forward(ps, attentionInputs, training, params);
        return new NDList(x.add(attended.get(0)), attended.get(1), attended.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return SelfAttention.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, dModel);
        SelfAttention.initialize(manager, dataType, hidden);
        layer_norm.initialize(manager, dataType, hidden);
    }
}

package io.github.djladapters.models.gpt2;

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
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * One pre-LN GPT-2 block ({@code h.N}): {@code ln_1}, {@code attn}, {@code ln_2}, {@code mlp},
 * each sub-block added to the residual stream. Inputs: hidden states, the additive mask, and
 * optionally the cached keys and values; outputs: hidden states, then this layer's keys and values.
 */
public final class GPT2Block extends AbstractBlock {

    @PreSelfAttention Block ln_1;
    @SelfAttention GPT2Attention attn;
    @PreFfn Block ln_2;
    GPT2MLP mlp;

    private final int hidden;

    GPT2Block(GPT2Config config, int layerIndex) {
        hidden = config.nEmbd();
        ln_1 = addChildBlock("ln_1", new LayerNorm(hidden, config.layerNormEpsilon()));
        attn = addChildBlock("attn", new GPT2Attention(config, layerIndex));
        ln_2 = addChildBlock("ln_2", new LayerNorm(hidden, config.layerNormEpsilon()));
        mlp = addChildBlock("mlp", new GPT2MLP(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList attnInputs = new NDList(ln_1.forward(ps, new NDList(x), training, params).head());
        attnInputs.addAll(inputs.subNDList(1));
        NDList attended = attn.forward(ps, attnInputs, training, params);
        NDArray afterAttention = x.add(attended.get(0));
        NDArray normed = ln_2.forward(ps, new NDList(afterAttention), training, params).head();
        NDArray out = afterAttention.add(mlp.forward(ps, new NDList(normed), training, params).head());
        return new NDList(out, attended.get(1), attended.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return attn.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, 1, hidden);
        ln_1.initialize(manager, dataType, in);
        attn.initialize(manager, dataType, in, new Shape(1, 1, 1, 1));
        ln_2.initialize(manager, dataType, in);
        mlp.initialize(manager, dataType, in);
    }
}

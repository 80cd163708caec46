package io.github.djladapters.models.llama;

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
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * One pre-norm Llama-family decoder layer ({@code layers.N}): {@code input_layernorm},
 * {@code self_attn}, {@code post_attention_layernorm}, {@code mlp}, each sub-block added to the
 * residual stream; the inputs of the two norms are the residuals bottleneck adapters read
 * ({@code @PreSelfAttention}, {@code @PreFfn}). Inputs: hidden states, the additive mask, rotary {@code cos} and {@code sin}, and
 * optionally cached keys and values; outputs: hidden states, then this layer's keys and values.
 */
public final class LlamaDecoderLayer extends AbstractBlock {

    @PreSelfAttention Block input_layernorm;
    @SelfAttention LlamaAttention self_attn;
    @PreFfn Block post_attention_layernorm;
    LlamaMLP mlp;

    private final int hidden;

    LlamaDecoderLayer(LlamaConfig config) {
        hidden = config.hiddenSize();
        input_layernorm = addChildBlock("input_layernorm", new RmsNorm(hidden, config.rmsNormEps()));
        self_attn = addChildBlock("self_attn", new LlamaAttention(config));
        post_attention_layernorm = addChildBlock("post_attention_layernorm", new RmsNorm(hidden, config.rmsNormEps()));
        mlp = addChildBlock("mlp", new LlamaMLP(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList attnInputs = new NDList(input_layernorm.forward(ps, new NDList(x), training, params).head());
        attnInputs.addAll(inputs.subNDList(1));
        NDList attended = self_attn.forward(ps, attnInputs, training, params);
        NDArray afterAttention = x.add(attended.get(0));
        NDArray normed = post_attention_layernorm.forward(ps, new NDList(afterAttention), training, params).head();
        NDArray out = afterAttention.add(mlp.forward(ps, new NDList(normed), training, params).head());
        return new NDList(out, attended.get(1), attended.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return self_attn.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, 1, hidden);
        input_layernorm.initialize(manager, dataType, in);
        self_attn.initialize(manager, dataType, in);
        post_attention_layernorm.initialize(manager, dataType, in);
        mlp.initialize(manager, dataType, in);
    }
}

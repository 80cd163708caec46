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
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.runtime.architecture.HookPoint;

/**
 * One post-LN BERT transformer layer ({@code encoder.layer.N}): {@code attention},
 * {@code intermediate} and {@code output}, as in Hugging Face, plus two parameter-free hook points,
 * {@code pre_self_attention} and {@code pre_ffn}, where adapters can act on the input of the
 * attention and feed-forward blocks (their output is also the residual of that block). Inputs:
 * hidden states {@code [B, T, H]} and the additive attention mask; output: hidden states.
 */
public final class BertLayer extends AbstractBlock {

    @PreSelfAttention Block preSelfAttention;
    @SelfAttention BertAttention attention;
    @PreFfn Block preFfn;
    BertIntermediate intermediate;
    BertOutput output;

    private final int hidden;

    BertLayer(BertConfig config) {
        hidden = config.hiddenSize();
        preSelfAttention = addChildBlock("pre_self_attention", new HookPoint());
        attention = addChildBlock("attention", new BertAttention(config));
        preFfn = addChildBlock("pre_ffn", new HookPoint());
        intermediate = addChildBlock("intermediate", new BertIntermediate(config));
        output = addChildBlock("output", new BertOutput(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray maskBias = inputs.get(1);
        NDArray attentionIn = preSelfAttention.forward(ps, new NDList(inputs.get(0)), training, params).head();
        NDArray attended = attention.forward(ps, new NDList(attentionIn, maskBias), training, params).head();
        NDArray ffnIn = preFfn.forward(ps, new NDList(attended), training, params).head();
        return output.after(intermediate, ps, new NDList(ffnIn), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, 1, hidden);
        preSelfAttention.initialize(manager, dataType, in);
        attention.initialize(manager, dataType, in, new Shape(1, 1, 1, 1));
        preFfn.initialize(manager, dataType, in);
        output.initializeAfter(intermediate, manager, dataType, in);
    }
}

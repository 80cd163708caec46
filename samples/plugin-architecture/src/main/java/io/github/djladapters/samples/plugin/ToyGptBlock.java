package io.github.djladapters.samples.plugin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;

/**
 * One pre-norm transformer layer: x + attn(ln_1(x)), then x + mlp(ln_2(x)). Inputs: hidden states
 * and the attention's additive mask; output: hidden states.
 */
public final class ToyGptBlock extends AbstractBlock {

    @PreSelfAttention Block ln1; // normalises the last axis of [batch, seq, hidden]
    @SelfAttention ToyGptAttention attn;
    @PreFfn Block ln2;
    ToyGptMlp mlp; // a plain field: the processor walks into it to find the feed-forward roles

    ToyGptBlock(int hidden, int heads) {
        ln1 = addChildBlock("ln_1", LayerNorm.builder().axis(2).build());
        attn = addChildBlock("attn", new ToyGptAttention(hidden, heads));
        ln2 = addChildBlock("ln_2", LayerNorm.builder().axis(2).build());
        mlp = addChildBlock("mlp", new ToyGptMlp(hidden));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray normed = ln1.forward(store, new NDList(x), training).head();
        NDArray attended = attn.forward(store, new NDList(normed, inputs.get(1)), training).head();
        x = x.add(attended);
        NDArray fed = mlp.forward(store, ln2.forward(store, new NDList(x), training), training).head();
        return new NDList(x.add(fed));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes[0]);
        }
    }
}

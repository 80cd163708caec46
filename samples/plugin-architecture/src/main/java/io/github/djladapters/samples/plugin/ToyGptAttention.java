package io.github.djladapters.samples.plugin;

import io.github.djladapters.runtime.engine.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QKVProj;

/** Causal multi-head self-attention with one fused q/k/v projection, as in GPT-2. */
public final class ToyGptAttention extends AbstractBlock {

    @QKVProj Block cAttn;
    @OProj Block cProj;

    private final int hidden;
    private final int heads;

    ToyGptAttention(int hidden, int heads) {
        this.hidden = hidden;
        this.heads = heads;
        cAttn = addChildBlock("c_attn", Linear.builder().setUnits(3L * hidden).build());
        cProj = addChildBlock("c_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        long headDim = hidden / heads;
        NDArray qkv = cAttn.forward(store, new NDList(x), training).head();
        NDList parts = qkv.split(3, 2);
        NDArray q = heads(parts.get(0), batch, seq, headDim);
        NDArray k = heads(parts.get(1), batch, seq, headDim);
        NDArray v = heads(parts.get(2), batch, seq, headDim);
        NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), 1 / Math.sqrt(headDim)); // autograd-safe constant
        NDManager manager = x.getManager();
        NDArray position = manager.arange((int) seq);
        NDArray future = position.expandDims(0).gt(position.expandDims(1)); // key after query
        scores = scores.sub(future.toType(scores.getDataType(), false).mul(1e9f));
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden);
        return cProj.forward(store, new NDList(context), training);
    }

    private NDArray heads(NDArray t, long batch, long seq, long headDim) {
        return t.reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        cAttn.initialize(manager, dataType, inputShapes);
        cProj.initialize(manager, dataType, inputShapes);
    }

}

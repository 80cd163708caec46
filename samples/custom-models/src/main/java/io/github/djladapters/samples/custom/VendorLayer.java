package io.github.djladapters.samples.custom;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * One pre-norm layer of {@link VendorEncoder}: {@code h = x + attn(ln1(x)); out = h + mlp(ln2(h))},
 * with children {@code input_layernorm}, {@code self_attn} ({@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code o_proj}), {@code post_attention_layernorm} and {@code mlp}
 * ({@code up_proj}, {@code down_proj}).
 */
public class VendorLayer extends AbstractBlock {

    Block inputLayernorm;
    Attention selfAttn;
    Block postAttentionLayernorm;
    Mlp mlp;

    VendorLayer(int hidden, int heads) {
        inputLayernorm = addChildBlock("input_layernorm", new LayerNorm(hidden, 1e-5));
        selfAttn = addChildBlock("self_attn", new Attention(hidden, heads));
        postAttentionLayernorm = addChildBlock("post_attention_layernorm", new LayerNorm(hidden, 1e-5));
        mlp = addChildBlock("mlp", new Mlp(hidden));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDList normed = inputLayernorm.forward(store, inputs, training, params);
        NDArray h = x.add(selfAttn.forward(store, normed, training, params).singletonOrThrow());
        NDList normedH = postAttentionLayernorm.forward(store, new NDList(h), training, params);
        return new NDList(h.add(mlp.forward(store, normedH, training, params).singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : new Block[] {inputLayernorm, selfAttn, postAttentionLayernorm, mlp}) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    /** Multi-head softmax self-attention over all positions. */
    public static class Attention extends AbstractBlock {

        Block qProj;
        Block kProj;
        Block vProj;
        Block oProj;
        private final int heads;

        Attention(int hidden, int heads) {
            if (hidden % heads != 0) {
                throw new IllegalArgumentException(heads + " heads do not divide the width " + hidden);
            }
            this.heads = heads;
            qProj = addChildBlock("q_proj", Linear.builder().setUnits(hidden).build());
            kProj = addChildBlock("k_proj", Linear.builder().setUnits(hidden).build());
            vProj = addChildBlock("v_proj", Linear.builder().setUnits(hidden).build());
            oProj = addChildBlock("o_proj", Linear.builder().setUnits(hidden).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            Shape shape = inputs.singletonOrThrow().getShape(); // [B, T, H]
            NDArray q = split(qProj.forward(store, inputs, training, params).singletonOrThrow(), shape);
            NDArray k = split(kProj.forward(store, inputs, training, params).singletonOrThrow(), shape);
            NDArray v = split(vProj.forward(store, inputs, training, params).singletonOrThrow(), shape);
            double scale = 1 / Math.sqrt(shape.get(2) / (double) heads);
            NDArray weights = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).softmax(-1);
            NDArray context = weights.matMul(v).transpose(0, 2, 1, 3).reshape(shape);
            return oProj.forward(store, new NDList(context), training, params);
        }

        /** {@code [B, T, H]} to {@code [B, heads, T, H / heads]}. */
        private NDArray split(NDArray x, Shape shape) {
            return x.reshape(shape.get(0), shape.get(1), heads, shape.get(2) / heads).transpose(0, 2, 1, 3);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (Block projection : new Block[] {qProj, kProj, vProj, oProj}) {
                projection.initialize(manager, dataType, inputShapes);
            }
        }
    }

    /** {@code down(gelu(up(x)))}, up to four times the width. */
    public static class Mlp extends AbstractBlock {

        Block upProj;
        Block downProj;

        Mlp(int hidden) {
            upProj = addChildBlock("up_proj", Linear.builder().setUnits(4L * hidden).build());
            downProj = addChildBlock("down_proj", Linear.builder().setUnits(hidden).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray up = upProj.forward(store, inputs, training, params).singletonOrThrow();
            return downProj.forward(store, new NDList(Activation.gelu(up)), training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            upProj.initialize(manager, dataType, inputShapes);
            downProj.initialize(manager, dataType, upProj.getOutputShapes(inputShapes));
        }
    }
}

package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One T5 encoder block ({@code encoder.block.N}): bidirectional self-attention ({@code layer.0}),
 * then the feed-forward sub-layer ({@code layer.1}). Inputs: hidden states {@code [B, S, d_model]}
 * and the additive bias {@code [B, heads, S, S]} (relative positions plus padding mask); output:
 * hidden states.
 */
public final class T5EncoderBlock extends T5Block {

    T5EncoderBlock(T5Config config, boolean relativeBias) {
        super(config, new T5LayerSelfAttention(config, relativeBias, true), null, new T5LayerFF(config));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray attended = selfAttentionLayer.forward(ps, inputs, training, params).head();
        return ffLayer.forward(ps, new NDList(attended), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}

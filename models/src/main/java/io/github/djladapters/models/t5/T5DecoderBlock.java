package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.generation.DecoderLayerInputs;

/**
 * One T5 decoder block ({@code decoder.block.N}): causal self-attention ({@code layer.0}),
 * cross-attention over the encoder output ({@code layer.1}), feed-forward ({@code layer.2}).
 *
 * <p>Inputs: hidden states {@code [B, T, d_model]}, the self-attention bias {@code [B, heads, T,
 * P + T]} (relative positions plus causal mask), the encoder padding bias {@code [B, 1, 1, S]}, the
 * cross-attention keys and values of this block {@code [B, heads, S, d_kv]}, and optionally the
 * cached self-attention keys and values {@code [B, heads, P, d_kv]}. Outputs: hidden states, then
 * the self-attention keys and values of all {@code P + T} positions.
 */
public final class T5DecoderBlock extends T5Block {

    T5LayerCrossAttention crossAttentionLayer;

    T5DecoderBlock(T5Config config, boolean relativeBias) {
        this(config, relativeBias, new T5LayerCrossAttention(config));
    }

    private T5DecoderBlock(T5Config config, boolean relativeBias, T5LayerCrossAttention cross) {
        super(config, new T5LayerSelfAttention(config, relativeBias, false), cross, new T5LayerFF(config));
        crossAttentionLayer = cross;
    }

    /**
     * Projects the encoder output into this block's cross-attention keys and values.
     *
     * @param ps the parameter store
     * @param encoderHidden the encoder output {@code [B, S, d_model]}
     * @param training whether this is a training pass
     * @param params passed through to the projections
     * @return keys and values
     */
    NDList crossKeyValues(ParameterStore ps, NDArray encoderHidden, boolean training, PairList<String, Object> params) {
        return crossAttentionLayer.EncDecAttention.keyValues(ps, encoderHidden, training, params);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        // positional inputs: the cross-attention bias and the encoder's keys and values
        DecoderLayerInputs in = DecoderLayerInputs.of(inputs, 3);
        NDList selfInputs = new DecoderLayerInputs(in.hidden(), in.attentionBias(), new NDList(), in.cachedKeys(),
                in.cachedValues()).toList();
        NDList self = selfAttentionLayer.forward(ps, selfInputs, training, params);
        NDList crossInputs = new NDList(self.get(0));
        crossInputs.addAll(in.positional());
        NDArray attended = crossAttentionLayer.forward(ps, crossInputs, training, params).head();
        NDArray out = ffLayer.forward(ps, new NDList(attended), training, params).head();
        return new NDList(out, self.get(1), self.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return selfAttentionLayer.getOutputShapes(inputShapes);
    }
}

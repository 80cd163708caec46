package io.github.djladapters.models.t5;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.CrossAttention;
import io.github.djladapters.annotations.PreCrossAttention;

/**
 * The cross-attention sub-layer of a T5 decoder block ({@code block.N.layer.1}):
 * {@code x + EncDecAttention(layer_norm(x), encoder output)}. Inputs: hidden states, the encoder
 * padding bias {@code [B, 1, 1, S]}, and the keys and values of the encoder output (projected once,
 * see {@link T5Attention#keyValues}); output: hidden states.
 */
public final class T5LayerCrossAttention extends T5ResidualLayer {

    @CrossAttention T5Attention EncDecAttention;
    @PreCrossAttention Block layer_norm;

    T5LayerCrossAttention(T5Config config) {
        super(config, false);
        EncDecAttention = addPart(Part.SUBLAYER, "EncDecAttention", new T5Attention(config, true, false, false));
        layer_norm = addLayerNorm();
    }
}

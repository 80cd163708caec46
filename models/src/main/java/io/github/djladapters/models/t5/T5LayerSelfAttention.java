package io.github.djladapters.models.t5;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;

/**
 * The self-attention sub-layer of a T5 block ({@code block.N.layer.0}):
 * {@code x + SelfAttention(layer_norm(x))}. Inputs: hidden states, the additive bias (relative
 * positions plus mask), and optionally cached keys and values; outputs: hidden states, then the keys
 * and values of all positions.
 */
public final class T5LayerSelfAttention extends T5ResidualLayer {

    @SelfAttention T5Attention SelfAttention;
    @PreSelfAttention Block layer_norm;

    T5LayerSelfAttention(T5Config config, boolean relativeBias, boolean bidirectional) {
        super(config, true);
        SelfAttention = addPart(Part.SUBLAYER, "SelfAttention", new T5Attention(config, false, relativeBias, bidirectional));
        layer_norm = addLayerNorm();
    }
}

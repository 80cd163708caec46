package io.github.djladapters.models.t5;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.PreFfn;

/**
 * The feed-forward sub-layer of a T5 block ({@code block.N.layer.1} in the encoder,
 * {@code layer.2} in the decoder): {@code x + DenseReluDense(layer_norm(x))}. Input and output:
 * hidden states {@code [B, T, d_model]}.
 */
public final class T5LayerFF extends T5ResidualLayer {

    T5DenseReluDense DenseReluDense;
    @PreFfn Block layer_norm;

    T5LayerFF(T5Config config) {
        super(config, false);
        DenseReluDense = addPart(Part.SUBLAYER, "DenseReluDense", new T5DenseReluDense(config));
        layer_norm = addLayerNorm();
    }
}

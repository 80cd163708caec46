package io.github.djladapters.models.gpt2;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.models.generation.PreNormDecoderLayer;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * One pre-LN GPT-2 block ({@code h.N}): {@code ln_1}, {@code attn}, {@code ln_2}, {@code mlp},
 * each sub-block added to the residual stream. Inputs: hidden states, the additive mask, and
 * optionally the cached keys and values; outputs: hidden states, then this layer's keys and values.
 */
public final class GPT2Block extends PreNormDecoderLayer {

    @PreSelfAttention Block ln_1;
    @SelfAttention GPT2Attention attn;
    @PreFfn Block ln_2;
    GPT2MLP mlp;

    GPT2Block(GPT2Config config, int layerIndex) {
        super(config.nEmbd());
        int hidden = config.nEmbd();
        ln_1 = addPart(Part.ATTENTION_NORM, "ln_1", new LayerNorm(hidden, config.layerNormEpsilon()));
        attn = addPart(Part.ATTENTION, "attn", new GPT2Attention(config, layerIndex));
        ln_2 = addPart(Part.FEED_FORWARD_NORM, "ln_2", new LayerNorm(hidden, config.layerNormEpsilon()));
        mlp = addPart(Part.FEED_FORWARD, "mlp", new GPT2MLP(config));
    }
}

package io.github.djladapters.models.llama;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.models.generation.PreNormDecoderLayer;
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * One pre-norm Llama-family decoder layer ({@code layers.N}): {@code input_layernorm},
 * {@code self_attn}, {@code post_attention_layernorm}, {@code mlp}, each sub-block added to the
 * residual stream; the inputs of the two norms are the residuals bottleneck adapters read
 * ({@code @PreSelfAttention}, {@code @PreFfn}). Inputs: hidden states, the additive mask, rotary {@code cos} and {@code sin} and the half-rotation matrix, and
 * optionally cached keys and values; outputs: hidden states, then this layer's keys and values.
 */
public final class LlamaDecoderLayer extends PreNormDecoderLayer {

    @PreSelfAttention Block input_layernorm;
    @SelfAttention LlamaAttention self_attn;
    @PreFfn Block post_attention_layernorm;
    LlamaMLP mlp;

    LlamaDecoderLayer(LlamaConfig config) {
        super(config.hiddenSize());
        int hidden = config.hiddenSize();
        input_layernorm = addPart(Part.ATTENTION_NORM, "input_layernorm", new RmsNorm(hidden, config.rmsNormEps()));
        self_attn = addPart(Part.ATTENTION, "self_attn", new LlamaAttention(config));
        post_attention_layernorm = addPart(Part.FEED_FORWARD_NORM, "post_attention_layernorm", new RmsNorm(hidden, config.rmsNormEps()));
        mlp = addPart(Part.FEED_FORWARD, "mlp", new LlamaMLP(config));
    }
}

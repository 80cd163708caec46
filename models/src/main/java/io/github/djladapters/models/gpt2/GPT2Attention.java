package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QKVProj;
import io.github.djladapters.models.blocks.Conv1D;
import io.github.djladapters.models.blocks.KeyValueAttentionBlock;
import io.github.djladapters.models.generation.DecoderLayerInputs;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.AttentionHeads;

/**
 * Causal self-attention of one GPT-2 layer ({@code h.N.attn}): the fused {@code c_attn} projection
 * ({@code [q | k | v]}, a {@link Conv1D}) and {@code c_proj}. Prefix tuning and adaption prompts
 * attach through {@link KeyValueAttention}.
 *
 * <p>Inputs: hidden states {@code [B, T, H]}, the additive mask {@code [B, 1, T, P + T]}, and
 * optionally the cached keys and values {@code [B, heads, P, headDim]}. Outputs: the attention
 * output {@code [B, T, H]}, then the keys and values of all {@code P + T} positions.
 */
public final class GPT2Attention extends KeyValueAttentionBlock {

    @QKVProj Block c_attn;
    @OProj Block c_proj;

    private final int hidden;
    private final int heads;
    private final float scale;

    GPT2Attention(GPT2Config config, int layerIndex) {
        super(config.nHead(), config.nEmbd() / config.nHead());
        hidden = config.nEmbd();
        heads = config.nHead();
        float base = config.scaleAttnWeights() ? (float) (1 / Math.sqrt(config.headDim())) : 1f;
        scale = config.scaleAttnByInverseLayerIdx() ? base / (layerIndex + 1) : base;
        c_attn = addChildBlock("c_attn", new Conv1D(hidden, 3 * hidden));
        c_proj = addChildBlock("c_proj", new Conv1D(hidden, hidden));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        DecoderLayerInputs in = DecoderLayerInputs.of(inputs, 0);
        NDArray qkv = c_attn.forward(ps, new NDList(in.hidden()), training, params).head();
        NDList parts = qkv.split(3, 2);
        NDArray q = AttentionHeads.split(parts.get(0), heads);
        NDArray k = in.withCachedKeys(AttentionHeads.split(parts.get(1), heads), params);
        NDArray v = in.withCachedValues(AttentionHeads.split(parts.get(2), heads), params);
        return attend(ps, c_proj, q, k, v, in.attentionBias(), scale, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, hidden);
        c_attn.initialize(manager, dataType, in);
        c_proj.initialize(manager, dataType, in);
    }
}

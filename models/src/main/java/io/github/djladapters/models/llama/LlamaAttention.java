package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;
import io.github.djladapters.models.blocks.KeyValueAttentionBlock;
import io.github.djladapters.models.generation.DecoderLayerInputs;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * Grouped-query self-attention with rotary embeddings of one Llama/Mistral/Qwen2 layer
 * ({@code layers.N.self_attn}): {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj}.
 * Keys and values have {@code num_key_value_heads} heads, each shared by
 * {@code num_attention_heads / num_key_value_heads} consecutive query heads. Prefix tuning and
 * adaption prompts attach through {@link KeyValueAttention}; the extension sees rotated keys with
 * {@code num_key_value_heads} heads.
 *
 * <p>Inputs: hidden states {@code [B, T, H]}, the additive mask {@code [B, 1, T, P + T]}, the rotary
 * {@code cos} and {@code sin} tables and half-rotation matrix, and optionally cached keys and values. Outputs: the attention
 * output {@code [B, T, H]}, then the keys and values of all {@code P + T} positions.
 */
public final class LlamaAttention extends KeyValueAttentionBlock {

    @QProj Block q_proj;
    @KProj Block k_proj;
    @VProj Block v_proj;
    @OProj Block o_proj;

    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;

    LlamaAttention(LlamaConfig config) {
        super(config.numKeyValueHeads(), config.headDim());
        hidden = config.hiddenSize();
        heads = config.numAttentionHeads();
        kvHeads = config.numKeyValueHeads();
        headDim = config.headDim();
        q_proj = addChildBlock("q_proj", linear(heads * headDim, config.qkvBias()));
        k_proj = addChildBlock("k_proj", linear(kvHeads * headDim, config.qkvBias()));
        v_proj = addChildBlock("v_proj", linear(kvHeads * headDim, config.qkvBias()));
        o_proj = addChildBlock("o_proj", linear(hidden, config.outputBias()));
    }

    static Linear linear(int units, boolean bias) {
        return new FlatLinear(units, bias);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        DecoderLayerInputs in = DecoderLayerInputs.of(inputs, 3);
        NDList x = new NDList(in.hidden());
        NDArray cos = in.positional().get(0);
        NDArray sin = in.positional().get(1);
        NDArray rotateHalf = in.positional().get(2);
        NDArray q = AttentionHeads.split(q_proj.forward(ps, x, training, params).head(), heads);
        NDArray k = AttentionHeads.split(k_proj.forward(ps, x, training, params).head(), kvHeads);
        NDArray v = AttentionHeads.split(v_proj.forward(ps, x, training, params).head(), kvHeads);
        q = RotaryEmbedding.apply(q, cos, sin, rotateHalf);
        k = in.withCachedKeys(RotaryEmbedding.apply(k, cos, sin, rotateHalf), params);
        v = in.withCachedValues(v, params);
        float scale = (float) (1 / Math.sqrt(headDim));
        return attend(ps, o_proj, q, k, v, in.attentionBias(), scale, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, hidden);
        q_proj.initialize(manager, dataType, in);
        k_proj.initialize(manager, dataType, in);
        v_proj.initialize(manager, dataType, in);
        o_proj.initialize(manager, dataType, new Shape(1, (long) heads * headDim));
    }
}

package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;
import io.github.djladapters.models.blocks.DotProductAttention;
import io.github.djladapters.runtime.attention.KeyValueAttention;
import io.github.djladapters.runtime.attention.KeyValueExtension;
import java.util.Optional;

/**
 * Grouped-query self-attention with rotary embeddings of one Llama/Mistral/Qwen2 layer
 * ({@code layers.N.self_attn}): {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj}.
 * Keys and values have {@code num_key_value_heads} heads, each shared by
 * {@code num_attention_heads / num_key_value_heads} consecutive query heads. Prefix tuning and
 * adaption prompts attach through {@link KeyValueAttention}; the extension sees rotated keys with
 * {@code num_key_value_heads} heads.
 *
 * <p>Inputs: hidden states {@code [B, T, H]}, the additive mask {@code [B, 1, T, P + T]}, the rotary
 * {@code cos} and {@code sin} tables, and optionally cached keys and values. Outputs: the attention
 * output {@code [B, T, H]}, then the keys and values of all {@code P + T} positions.
 */
public final class LlamaAttention extends AbstractBlock implements KeyValueAttention {

    @QProj Block q_proj;
    @KProj Block k_proj;
    @VProj Block v_proj;
    @OProj Block o_proj;

    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private KeyValueExtension extension;

    LlamaAttention(LlamaConfig config) {
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
        return Linear.builder().setUnits(units).optBias(bias).build();
    }

    @Override
    public void setKeyValueExtension(KeyValueExtension extension) {
        this.extension = extension;
    }

    @Override
    public Optional<KeyValueExtension> keyValueExtension() {
        return Optional.ofNullable(extension);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray cos = inputs.get(2);
        NDArray sin = inputs.get(3);
        NDArray q = DotProductAttention.splitHeads(q_proj.forward(ps, x, training, params).head(), heads);
        NDArray k = DotProductAttention.splitHeads(k_proj.forward(ps, x, training, params).head(), kvHeads);
        NDArray v = DotProductAttention.splitHeads(v_proj.forward(ps, x, training, params).head(), kvHeads);
        q = RotaryEmbedding.apply(q, cos, sin);
        k = RotaryEmbedding.apply(k, cos, sin);
        if (inputs.size() > 4) {
            k = inputs.get(4).concat(k, 2);
            v = inputs.get(5).concat(v, 2);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        NDArray context = DotProductAttention.context(this, q, k, v, inputs.get(1), scale);
        NDArray out = extendOutput(q, o_proj.forward(ps, new NDList(context), training, params).head());
        return new NDList(out, k, v);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        Shape kv = new Shape(x.get(0), kvHeads, x.get(1), headDim);
        return new Shape[] {x, kv, kv};
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

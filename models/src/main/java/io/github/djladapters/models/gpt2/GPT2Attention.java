package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QKVProj;
import io.github.djladapters.models.blocks.Conv1D;
import io.github.djladapters.models.blocks.DotProductAttention;
import io.github.djladapters.runtime.attention.KeyValueAttention;
import io.github.djladapters.runtime.attention.KeyValueExtension;
import java.util.Optional;

/**
 * Causal self-attention of one GPT-2 layer ({@code h.N.attn}): the fused {@code c_attn} projection
 * ({@code [q | k | v]}, a {@link Conv1D}) and {@code c_proj}. Prefix tuning and adaption prompts
 * attach through {@link KeyValueAttention}.
 *
 * <p>Inputs: hidden states {@code [B, T, H]}, the additive mask {@code [B, 1, T, P + T]}, and
 * optionally the cached keys and values {@code [B, heads, P, headDim]}. Outputs: the attention
 * output {@code [B, T, H]}, then the keys and values of all {@code P + T} positions.
 */
public final class GPT2Attention extends AbstractBlock implements KeyValueAttention {

    @QKVProj Block c_attn;
    @OProj Block c_proj;

    private final int hidden;
    private final int heads;
    private final float scale;
    private KeyValueExtension extension;

    GPT2Attention(GPT2Config config, int layerIndex) {
        hidden = config.nEmbd();
        heads = config.nHead();
        float base = config.scaleAttnWeights() ? (float) (1 / Math.sqrt(config.headDim())) : 1f;
        scale = config.scaleAttnByInverseLayerIdx() ? base / (layerIndex + 1) : base;
        c_attn = addChildBlock("c_attn", new Conv1D(hidden, 3 * hidden));
        c_proj = addChildBlock("c_proj", new Conv1D(hidden, hidden));
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
        NDArray qkv = c_attn.forward(ps, new NDList(inputs.get(0)), training, params).head();
        NDList parts = qkv.split(3, 2);
        NDArray q = DotProductAttention.splitHeads(parts.get(0), heads);
        NDArray k = DotProductAttention.splitHeads(parts.get(1), heads);
        NDArray v = DotProductAttention.splitHeads(parts.get(2), heads);
        if (inputs.size() > 2) {
            k = inputs.get(2).concat(k, 2);
            v = inputs.get(3).concat(v, 2);
        }
        NDArray context = DotProductAttention.context(this, q, k, v, inputs.get(1), scale);
        NDArray out = extendOutput(q, c_proj.forward(ps, new NDList(context), training, params).head());
        return new NDList(out, k, v);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        Shape kv = new Shape(x.get(0), heads, x.get(1), hidden / heads);
        return new Shape[] {x, kv, kv};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, hidden);
        c_attn.initialize(manager, dataType, in);
        c_proj.initialize(manager, dataType, in);
    }
}

package io.github.djladapters.samples.plugin;

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
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QKVProj;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.engine.Scalars;
import java.util.Optional;

/**
 * Causal multi-head self-attention with one fused q/k/v projection, as in GPT-2. It implements
 * {@link KeyValueAttention}, so prefix tuning (learned keys and values prepended) and LLaMA-Adapter
 * adaption prompts (a gated attention over learned prompts, added after {@code c_proj} as PEFT does
 * for a fused projection) can act inside it.
 *
 * <p>Inputs: hidden states {@code [batch, seq, hidden]} and the additive mask
 * {@code [batch, 1, seq, seq]} (0 attends, a large negative value hides). Output: {@code [batch, seq, hidden]}.
 */
public final class ToyGptAttention extends AbstractBlock implements KeyValueAttention {

    @QKVProj Block cAttn;
    @OProj Block cProj;

    private final int hidden;
    private final int heads;
    private KeyValueExtension extension;

    ToyGptAttention(int hidden, int heads) {
        this.hidden = hidden;
        this.heads = heads;
        cAttn = addChildBlock("c_attn", Linear.builder().setUnits(3L * hidden).build());
        cProj = addChildBlock("c_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    public void setKeyValueExtension(KeyValueExtension newExtension) {
        this.extension = newExtension;
    }

    @Override
    public Optional<KeyValueExtension> keyValueExtension() {
        return Optional.ofNullable(extension);
    }

    @Override
    public int keyValueHeads() {
        return heads;
    }

    @Override
    public int headDim() {
        return hidden / heads;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray maskBias = inputs.get(1);
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        long headDim = headDim();
        NDArray qkv = cAttn.forward(store, new NDList(x), training).head();
        NDList parts = qkv.split(3, 2);
        NDArray q = heads(parts.get(0), batch, seq, headDim);
        ExtendedKeyValues kv = extendKeyValues(q, heads(parts.get(1), batch, seq, headDim),
                heads(parts.get(2), batch, seq, headDim));
        NDArray scores = Scalars.mul(q.matMul(kv.keys().transpose(0, 1, 3, 2)), 1 / Math.sqrt(headDim));
        scores = scores.add(kv.attentionMask(maskBias)); // prepended positions first, then this block's own
        NDArray context = extendContext(q, scores.softmax(-1).matMul(kv.values()));
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, seq, hidden);
        return new NDList(extendOutput(q, cProj.forward(store, new NDList(merged), training).head()));
    }

    private NDArray heads(NDArray t, long batch, long seq, long headDim) {
        return t.reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        cAttn.initialize(manager, dataType, inputShapes[0]);
        cProj.initialize(manager, dataType, inputShapes[0]);
    }
}

package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.engine.Scalars;
import java.util.Optional;

/**
 * Multi-head self-attention without a causal mask, with separate {@code q_proj/k_proj/v_proj} or a
 * fused {@code qkv_proj} ({@code [q | k | v]} along the output), and {@code o_proj}.
 */
public final class TinyAttention extends TinyBlock implements KeyValueAttention {

    final int heads;
    @QProj
    public Block qProj;
    @KProj
    public Block kProj;
    @VProj
    public Block vProj;
    public Block qkvProj;
    @OProj
    public Block oProj;
    private KeyValueExtension extension;

    TinyAttention(int hidden, int heads, boolean fused) {
        this.heads = heads;
        if (fused) {
            qkvProj = addChildBlock("qkv_proj", Linear.builder().setUnits(3L * hidden).build());
        } else {
            qProj = addChildBlock("q_proj", Linear.builder().setUnits(hidden).build());
            kProj = addChildBlock("k_proj", Linear.builder().setUnits(hidden).build());
            vProj = addChildBlock("v_proj", Linear.builder().setUnits(hidden).build());
        }
        oProj = addChildBlock("o_proj", Linear.builder().setUnits(hidden).build());
    }

    /**
     * A standalone attention block, for tests of {@link KeyValueAttention}.
     *
     * @param hidden the model width
     * @param heads the number of heads
     * @return the block, not yet initialised
     */
    public static TinyAttention standalone(int hidden, int heads) {
        return new TinyAttention(hidden, heads, false);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray q;
        NDArray k;
        NDArray v;
        if (qkvProj != null) {
            NDList qkv = run(qkvProj, store, x, training).split(3, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = run(qProj, store, x, training);
            k = run(kProj, store, x, training);
            v = run(vProj, store, x, training);
        }
        long headDim = x.getShape().get(2) / heads;
        q = splitHeads(q, headDim);
        ExtendedKeyValues kv = extendKeyValues(q, splitHeads(k, headDim), splitHeads(v, headDim));
        // Scalars: DJL's div(Number) frees its constant while autograd still needs it
        NDArray scores = Scalars.mul(q.matMul(kv.keys().transpose(0, 1, 3, 2)), 1 / Math.sqrt(headDim));
        NDArray mask = kv.attentionMask(null);
        NDArray context = (mask == null ? scores : scores.add(mask)).softmax(-1).matMul(kv.values());
        context = extendContext(q, context);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(x.getShape());
        return new NDList(extendOutput(q, run(oProj, store, merged, training)));
    }

    private NDArray splitHeads(NDArray t, long headDim) {
        Shape s = t.getShape();
        return t.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    @Override
    public void setKeyValueExtension(KeyValueExtension extension) {
        this.extension = extension;
    }

    @Override
    public Optional<KeyValueExtension> keyValueExtension() {
        return Optional.ofNullable(extension);
    }
}

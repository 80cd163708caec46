package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.SelfAttention;

/** A pre-norm decoder layer: {@code x + attn(norm(x))}, then {@code h + mlp(norm(h))}. */
public final class TinyLayer extends TinyBlock {

    @PreSelfAttention
    public Block inputLayernorm;
    @SelfAttention
    public TinyAttention selfAttn;
    @PreFfn
    public Block postAttentionLayernorm;
    public TinyMlp mlp;

    TinyLayer(int hidden, int heads, int ffn, boolean fused) {
        inputLayernorm = addChildBlock("input_layernorm", new RmsNorm(hidden));
        selfAttn = addChildBlock("self_attn", new TinyAttention(hidden, heads, fused));
        postAttentionLayernorm = addChildBlock("post_attention_layernorm", new RmsNorm(hidden));
        mlp = addChildBlock("mlp", new TinyMlp(hidden, ffn));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray h = x.add(run(selfAttn, store, run(inputLayernorm, store, x, training), training));
        return new NDList(h.add(run(mlp, store, run(postAttentionLayernorm, store, h, training), training)));
    }
}

package io.github.djladapters.runtime.testmodel;

import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.QkvSplit;

/** Interfaces that describe {@link TinyModel}, as a user would write them. */
public final class TinyInterfaces {

    private TinyInterfaces() {}

    /**
     * The Gemma 2 example of the Python documentation, which fits the separate-projection model.
     *
     * @return a builder to adjust
     */
    public static AdapterModelInterface.Builder separate() {
        return AdapterModelInterface.builder()
                .adapterMethods(AdapterMethod.LORA, AdapterMethod.REFT)
                .modelEmbeddings("embed_tokens").modelLayers("layers").layerSelfAttn("self_attn")
                .attnQProj("q_proj").attnKProj("k_proj").attnVProj("v_proj").attnOProj("o_proj")
                .layerIntermediateProj("mlp.up_proj").layerOutputProj("mlp.down_proj")
                .layerPreSelfAttn("input_layernorm").layerPreFfn("post_attention_layernorm");
    }

    /**
     * An interface for the fused-projection model.
     *
     * @return a builder to adjust
     */
    public static AdapterModelInterface.Builder fused() {
        return separate().attnQProj(null).attnKProj(null).attnVProj(null).attnQkvProj("qkv_proj")
                .attnQkvSplit(new QkvSplit(TinyModel.HIDDEN, TinyModel.HIDDEN, TinyModel.HIDDEN));
    }
}

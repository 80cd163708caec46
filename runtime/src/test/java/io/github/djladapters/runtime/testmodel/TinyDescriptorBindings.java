package io.github.djladapters.runtime.testmodel;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.InterfaceBindings;

/**
 * What the processor generates for an {@code @AdapterInterface} descriptor without a target: an
 * {@link InterfaceBindings} for {@code Block}, used only through {@code Adapters.init(model,
 * TinyDescriptor.class)}.
 */
public final class TinyDescriptorBindings extends InterfaceBindings<Block> {

    /** The stand-in descriptor type. */
    public interface TinyDescriptor {}

    /** Builds the bindings, as the generated no-argument constructor does. */
    public TinyDescriptorBindings() {
        super(Block.class, TinyDescriptor.class, AdapterModelInterface.builder()
                .adapterMethods(AdapterMethod.LORA)
                .modelEmbeddings("embed_tokens").modelLayers("layers").layerSelfAttn("self_attn")
                .attnQProj("q_proj").attnKProj("k_proj").attnVProj("v_proj").attnOProj("o_proj")
                .layerIntermediateProj("mlp.up_proj").layerOutputProj("mlp.down_proj")
                .build());
    }
}

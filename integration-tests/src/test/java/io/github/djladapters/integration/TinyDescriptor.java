package io.github.djladapters.integration;

import io.github.djladapters.annotations.AdapterInterface;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.annotations.VProj;

/**
 * Child-name paths of the runtime tests' tiny decoder declared without a target, so the processor
 * generates {@code TinyDescriptor_AdapterBindings} for any {@code Block}; it is used only through
 * {@code Adapters.init(model, TinyDescriptor.class)}.
 */
@AdapterInterface(methods = AdapterMethod.LORA)
@Embeddings("embed_tokens") @Layers("layers") @SelfAttention("self_attn")
@QProj("q_proj") @KProj("k_proj") @VProj("v_proj") @OProj("o_proj")
@IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
public interface TinyDescriptor {}

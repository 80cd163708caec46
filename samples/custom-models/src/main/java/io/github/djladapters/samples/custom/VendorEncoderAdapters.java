package io.github.djladapters.samples.custom;

import io.github.djladapters.annotations.AdapterInterface;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.annotations.PreFfn;
import io.github.djladapters.annotations.PreSelfAttention;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.SelfAttention;
import io.github.djladapters.annotations.VProj;

/**
 * Where the parts of {@link VendorEncoder} are, by child name, as the Python
 * {@code AdapterModelInterface} would say it. The processor checks each path against the target's
 * fields at compile time and generates the bindings that {@code Adapters.init} finds.
 */
@AdapterInterface(methods = {AdapterMethod.LORA}, target = VendorEncoder.class)
@Embeddings("embed_tokens")
@Layers("layers")
@SelfAttention("self_attn")
@QProj("q_proj")
@KProj("k_proj")
@VProj("v_proj")
@OProj("o_proj")
@IntermediateProj("mlp.up_proj")
@OutputProj("mlp.down_proj")
@PreSelfAttention("input_layernorm")
@PreFfn("post_attention_layernorm")
public interface VendorEncoderAdapters {}

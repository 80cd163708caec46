package gemma;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.InterfaceBindings;
import io.github.djladapters.runtime.bindings.QkvSplit;
import javax.annotation.processing.Generated;

/**
 * Adapter bindings declared by {@link Gemma2Adapters.Paths}, generated from its role annotations.
 */
@Generated("io.github.djladapters.processor.AdapterProcessor")
public final class Gemma2Adapters_Paths_AdapterBindings extends InterfaceBindings<Block> {
  /**
   * The paths declared on {@link Gemma2Adapters.Paths}.
   */
  public static final AdapterModelInterface INTERFACE = AdapterModelInterface.builder()
      .adapterMethods(AdapterMethod.BOTTLENECK, AdapterMethod.LORA)
      .modelEmbeddings("model.embed_tokens")
      .modelLayers("model.layers")
      .layerSelfAttn("self_attn")
      .attnOProj("o_proj")
      .attnQkvProj("qkv_proj")
      .attnQkvSplit(new QkvSplit(2048, 512, 512))
      .layerIntermediateProj("mlp.up_proj")
      .layerOutputProj("mlp.down_proj")
      .layerPreSelfAttn("input_layernorm")
      .layerPreFfn("pre_feedforward_layernorm")
      .layerLn1("post_attention_layernorm")
      .layerLn2("post_feedforward_layernorm")
      .build();

  /**
   * Creates the bindings; {@link java.util.ServiceLoader} calls this.
   */
  public Gemma2Adapters_Paths_AdapterBindings() {
    super(Block.class, Gemma2Adapters.Paths.class, INTERFACE);
  }
}

package tiny;

import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.InterfaceBindings;
import javax.annotation.processing.Generated;

/**
 * Adapter bindings declared by {@link TinyAdapters}, generated from its role annotations.
 */
@Generated("io.github.djladapters.processor.AdapterProcessor")
public final class TinyAdapters_AdapterBindings extends InterfaceBindings<TinyModel> {
  /**
   * The paths declared on {@link TinyAdapters}.
   */
  public static final AdapterModelInterface INTERFACE = AdapterModelInterface.builder()
      .adapterMethods(AdapterMethod.LORA, AdapterMethod.REFT)
      .modelEmbeddings("embed_tokens")
      .modelLayers("layers")
      .layerSelfAttn("self_attn")
      .attnQProj("q_proj")
      .attnKProj("k_proj")
      .attnVProj("v_proj")
      .attnOProj("o_proj")
      .layerIntermediateProj("mlp.up_proj")
      .layerOutputProj("mlp.down_proj")
      .build();

  /**
   * Creates the bindings; {@link java.util.ServiceLoader} calls this.
   */
  public TinyAdapters_AdapterBindings() {
    super(TinyModel.class, TinyAdapters.class, INTERFACE);
  }
}

package t5;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.ChildReplacement;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import javax.annotation.processing.Generated;

/**
 * Adapter bindings of {@link T5Decoder}, generated from its role annotations.
 */
@Generated("io.github.djladapters.processor.AdapterProcessor")
public final class T5Decoder_AdapterBindings implements ModelBindings<T5Decoder> {
  private static final Set<AdapterMethod> METHODS = Collections.unmodifiableSet(EnumSet.of(AdapterMethod.LORA));

  private static final Set<Site> SITES = Collections.unmodifiableSet(EnumSet.of(Site.SELF_ATTENTION,
      Site.CROSS_ATTENTION, Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ, Site.O_PROJ, Site.CROSS_Q_PROJ,
      Site.CROSS_K_PROJ, Site.CROSS_V_PROJ, Site.CROSS_O_PROJ, Site.INTERMEDIATE_PROJ,
      Site.OUTPUT_PROJ, Site.PRE_CROSS_ATTENTION));

  /**
   * Creates the bindings; {@link java.util.ServiceLoader} calls this.
   */
  public T5Decoder_AdapterBindings() {
  }

  @Override
  public Class<T5Decoder> modelType() {
    return T5Decoder.class;
  }

  @Override
  public Class<?> declaringType() {
    return T5Decoder.class;
  }

  @Override
  public Set<AdapterMethod> methods() {
    return METHODS;
  }

  @Override
  public Set<Site> sites() {
    return SITES;
  }

  @Override
  public QkvSplit qkvSplit(Site site) {
    throw new IllegalArgumentException("T5Decoder declares no fused qkv projection at " + site + "; see @QKVProj");
  }

  @Override
  public Block embeddings(T5Decoder model) {
    return model.embedTokens;
  }

  @Override
  public void replaceEmbeddings(T5Decoder model, Block with) {
    Objects.requireNonNull(with, "with");
    ChildReplacement.replaceChild(model, model.embedTokens, with);
    model.embedTokens = with;
  }

  @Override
  public int layerCount(T5Decoder model) {
    return model.block.size();
  }

  @Override
  public Block layer(T5Decoder model, int layer) {
    return model.block.get(layer);
  }

  @Override
  public Block get(T5Decoder model, int layer, Site site) {
    T5Block layerBlock = model.block.get(layer);
    switch (site) {
      case SELF_ATTENTION:
        return layerBlock.selfAttention;
      case CROSS_ATTENTION:
        return layerBlock.encDecAttention;
      case Q_PROJ:
        return layerBlock.selfAttention.q;
      case K_PROJ:
        return layerBlock.selfAttention.k;
      case V_PROJ:
        return layerBlock.selfAttention.v;
      case O_PROJ:
        return layerBlock.selfAttention.o;
      case CROSS_Q_PROJ:
        return layerBlock.encDecAttention.q;
      case CROSS_K_PROJ:
        return layerBlock.encDecAttention.k;
      case CROSS_V_PROJ:
        return layerBlock.encDecAttention.v;
      case CROSS_O_PROJ:
        return layerBlock.encDecAttention.o;
      case INTERMEDIATE_PROJ:
        return layerBlock.ff.wi;
      case OUTPUT_PROJ:
        return layerBlock.ff.wo;
      case PRE_CROSS_ATTENTION:
        return layerBlock.crossLayerNorm;
      default:
        throw new IllegalArgumentException("T5Decoder declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public void replace(T5Decoder model, int layer, Site site, Block with) {
    Objects.requireNonNull(with, "with");
    T5Block layerBlock = model.block.get(layer);
    switch (site) {
      case Q_PROJ: {
        T5Attention owner = layerBlock.selfAttention;
        ChildReplacement.replaceChild(owner, owner.q, with);
        owner.q = with;
        return;
      }
      case K_PROJ: {
        T5Attention owner = layerBlock.selfAttention;
        ChildReplacement.replaceChild(owner, owner.k, with);
        owner.k = with;
        return;
      }
      case V_PROJ: {
        T5Attention owner = layerBlock.selfAttention;
        ChildReplacement.replaceChild(owner, owner.v, with);
        owner.v = with;
        return;
      }
      case O_PROJ: {
        T5Attention owner = layerBlock.selfAttention;
        ChildReplacement.replaceChild(owner, owner.o, with);
        owner.o = with;
        return;
      }
      case CROSS_Q_PROJ: {
        T5Attention owner = layerBlock.encDecAttention;
        ChildReplacement.replaceChild(owner, owner.q, with);
        owner.q = with;
        return;
      }
      case CROSS_K_PROJ: {
        T5Attention owner = layerBlock.encDecAttention;
        ChildReplacement.replaceChild(owner, owner.k, with);
        owner.k = with;
        return;
      }
      case CROSS_V_PROJ: {
        T5Attention owner = layerBlock.encDecAttention;
        ChildReplacement.replaceChild(owner, owner.v, with);
        owner.v = with;
        return;
      }
      case CROSS_O_PROJ: {
        T5Attention owner = layerBlock.encDecAttention;
        ChildReplacement.replaceChild(owner, owner.o, with);
        owner.o = with;
        return;
      }
      case INTERMEDIATE_PROJ: {
        T5Ffn owner = layerBlock.ff;
        ChildReplacement.replaceChild(owner, owner.wi, with);
        owner.wi = with;
        return;
      }
      case OUTPUT_PROJ: {
        T5Ffn owner = layerBlock.ff;
        ChildReplacement.replaceChild(owner, owner.wo, with);
        owner.wo = with;
        return;
      }
      case PRE_CROSS_ATTENTION: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.crossLayerNorm, with);
        layerBlock.crossLayerNorm = with;
        return;
      }
      case SELF_ATTENTION:
      case CROSS_ATTENTION:
        throw new IllegalArgumentException("T5Decoder: " + site + " is an attention block and is not replaced; replace its projections");
      default:
        throw new IllegalArgumentException("T5Decoder declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public String declaredAt(Site site) {
    switch (site) {
      case SELF_ATTENTION:
        return "block[].selfAttention";
      case CROSS_ATTENTION:
        return "block[].encDecAttention";
      case Q_PROJ:
        return "block[].selfAttention.q";
      case K_PROJ:
        return "block[].selfAttention.k";
      case V_PROJ:
        return "block[].selfAttention.v";
      case O_PROJ:
        return "block[].selfAttention.o";
      case CROSS_Q_PROJ:
        return "block[].encDecAttention.q";
      case CROSS_K_PROJ:
        return "block[].encDecAttention.k";
      case CROSS_V_PROJ:
        return "block[].encDecAttention.v";
      case CROSS_O_PROJ:
        return "block[].encDecAttention.o";
      case INTERMEDIATE_PROJ:
        return "block[].ff.wi";
      case OUTPUT_PROJ:
        return "block[].ff.wo";
      case PRE_CROSS_ATTENTION:
        return "block[].crossLayerNorm";
      default:
        throw new IllegalArgumentException("T5Decoder declares no site " + site + "; its sites are " + SITES);
    }
  }
}

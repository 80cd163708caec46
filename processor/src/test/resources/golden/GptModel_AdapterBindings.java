package gpt;

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
 * Adapter bindings of {@link GptModel}, generated from its role annotations.
 */
@Generated("io.github.djladapters.processor.AdapterProcessor")
public final class GptModel_AdapterBindings implements ModelBindings<GptModel> {
  private static final Set<AdapterMethod> METHODS = Collections.unmodifiableSet(EnumSet.of(AdapterMethod.BOTTLENECK,
      AdapterMethod.LORA, AdapterMethod.PROMPT_TUNING));

  private static final Set<Site> SITES = Collections.unmodifiableSet(EnumSet.of(Site.SELF_ATTENTION,
      Site.O_PROJ, Site.QKV_PROJ, Site.INTERMEDIATE_PROJ, Site.OUTPUT_PROJ, Site.PRE_SELF_ATTENTION,
      Site.PRE_FFN, Site.LAYER_NORM_1, Site.LAYER_NORM_2));

  /**
   * Creates the bindings; {@link java.util.ServiceLoader} calls this.
   */
  public GptModel_AdapterBindings() {
  }

  @Override
  public Class<GptModel> modelType() {
    return GptModel.class;
  }

  @Override
  public Class<?> declaringType() {
    return GptModel.class;
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
    switch (site) {
      case QKV_PROJ:
        return new QkvSplit(64, 16, 16);
      default:
        throw new IllegalArgumentException("GptModel declares no fused qkv projection at " + site + "; see @QKVProj");
    }
  }

  @Override
  public Block embeddings(GptModel model) {
    return model.transformer.wte;
  }

  @Override
  public void replaceEmbeddings(GptModel model, Block with) {
    Objects.requireNonNull(with, "with");
    GptModel.GptBody owner = model.transformer;
    ChildReplacement.replaceChild(owner, owner.wte, with);
    owner.wte = with;
  }

  @Override
  public int layerCount(GptModel model) {
    return model.transformer.h.length;
  }

  @Override
  public Block layer(GptModel model, int layer) {
    return model.transformer.h[layer];
  }

  @Override
  public Block get(GptModel model, int layer, Site site) {
    GptBlock layerBlock = model.transformer.h[layer];
    switch (site) {
      case SELF_ATTENTION:
        return layerBlock.attn;
      case O_PROJ:
        return layerBlock.attn.cProj;
      case QKV_PROJ:
        return layerBlock.attn.cAttn;
      case INTERMEDIATE_PROJ:
        return layerBlock.cFc;
      case OUTPUT_PROJ:
        return layerBlock.cProj;
      case PRE_SELF_ATTENTION:
        return layerBlock.ln1;
      case PRE_FFN:
        return layerBlock.ln2;
      case LAYER_NORM_1:
        return layerBlock.ln1;
      case LAYER_NORM_2:
        return layerBlock.ln2;
      default:
        throw new IllegalArgumentException("GptModel declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public void replace(GptModel model, int layer, Site site, Block with) {
    Objects.requireNonNull(with, "with");
    GptBlock layerBlock = model.transformer.h[layer];
    switch (site) {
      case O_PROJ: {
        GptAttention owner = layerBlock.attn;
        ChildReplacement.replaceChild(owner, owner.cProj, with);
        owner.cProj = with;
        return;
      }
      case QKV_PROJ: {
        GptAttention owner = layerBlock.attn;
        ChildReplacement.replaceChild(owner, owner.cAttn, with);
        owner.cAttn = with;
        return;
      }
      case INTERMEDIATE_PROJ: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.cFc, with);
        layerBlock.cFc = with;
        return;
      }
      case OUTPUT_PROJ: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.cProj, with);
        layerBlock.cProj = with;
        return;
      }
      case PRE_SELF_ATTENTION: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.ln1, with);
        layerBlock.ln1 = with;
        return;
      }
      case PRE_FFN: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.ln2, with);
        layerBlock.ln2 = with;
        return;
      }
      case LAYER_NORM_1: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.ln1, with);
        layerBlock.ln1 = with;
        return;
      }
      case LAYER_NORM_2: {
        ChildReplacement.replaceChild(layerBlock, layerBlock.ln2, with);
        layerBlock.ln2 = with;
        return;
      }
      case SELF_ATTENTION:
        throw new IllegalArgumentException("GptModel: " + site + " is an attention block and is not replaced; replace its projections");
      default:
        throw new IllegalArgumentException("GptModel declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public String declaredAt(Site site) {
    switch (site) {
      case SELF_ATTENTION:
        return "transformer.h[].attn";
      case O_PROJ:
        return "transformer.h[].attn.cProj";
      case QKV_PROJ:
        return "transformer.h[].attn.cAttn";
      case INTERMEDIATE_PROJ:
        return "transformer.h[].cFc";
      case OUTPUT_PROJ:
        return "transformer.h[].cProj";
      case PRE_SELF_ATTENTION:
        return "transformer.h[].ln1";
      case PRE_FFN:
        return "transformer.h[].ln2";
      case LAYER_NORM_1:
        return "transformer.h[].ln1";
      case LAYER_NORM_2:
        return "transformer.h[].ln2";
      default:
        throw new IllegalArgumentException("GptModel declares no site " + site + "; its sites are " + SITES);
    }
  }
}

package tiny;

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
 * Adapter bindings of {@link TinyModel}, generated from its role annotations.
 */
@Generated("io.github.djladapters.processor.AdapterProcessor")
public final class TinyModel_AdapterBindings implements ModelBindings<TinyModel> {
  private static final Set<AdapterMethod> METHODS = Collections.unmodifiableSet(EnumSet.of(AdapterMethod.LORA));

  private static final Set<Site> SITES = Collections.unmodifiableSet(EnumSet.of(Site.SELF_ATTENTION,
      Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ, Site.O_PROJ, Site.INTERMEDIATE_PROJ,
      Site.OUTPUT_PROJ));

  /**
   * Creates the bindings; {@link java.util.ServiceLoader} calls this.
   */
  public TinyModel_AdapterBindings() {
  }

  @Override
  public Class<TinyModel> modelType() {
    return TinyModel.class;
  }

  @Override
  public Class<?> declaringType() {
    return TinyModel.class;
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
    throw new IllegalArgumentException("TinyModel declares no fused qkv projection at " + site + "; see @QKVProj");
  }

  @Override
  public Block embeddings(TinyModel model) {
    return model.embedTokens;
  }

  @Override
  public void replaceEmbeddings(TinyModel model, Block with) {
    Objects.requireNonNull(with, "with");
    ChildReplacement.replaceChild(model, model.embedTokens, with);
    model.embedTokens = with;
  }

  @Override
  public int layerCount(TinyModel model) {
    return model.layers.size();
  }

  @Override
  public Block layer(TinyModel model, int layer) {
    return model.layers.get(layer);
  }

  @Override
  public Block get(TinyModel model, int layer, Site site) {
    TinyLayer layerBlock = model.layers.get(layer);
    switch (site) {
      case SELF_ATTENTION:
        return layerBlock.selfAttn;
      case Q_PROJ:
        return layerBlock.selfAttn.qProj;
      case K_PROJ:
        return layerBlock.selfAttn.kProj;
      case V_PROJ:
        return layerBlock.selfAttn.vProj;
      case O_PROJ:
        return layerBlock.selfAttn.oProj;
      case INTERMEDIATE_PROJ:
        return layerBlock.mlp.upProj;
      case OUTPUT_PROJ:
        return layerBlock.mlp.downProj;
      default:
        throw new IllegalArgumentException("TinyModel declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public void replace(TinyModel model, int layer, Site site, Block with) {
    Objects.requireNonNull(with, "with");
    TinyLayer layerBlock = model.layers.get(layer);
    switch (site) {
      case Q_PROJ: {
        TinyAttention owner = layerBlock.selfAttn;
        ChildReplacement.replaceChild(owner, owner.qProj, with);
        owner.qProj = with;
        return;
      }
      case K_PROJ: {
        TinyAttention owner = layerBlock.selfAttn;
        ChildReplacement.replaceChild(owner, owner.kProj, with);
        owner.kProj = with;
        return;
      }
      case V_PROJ: {
        TinyAttention owner = layerBlock.selfAttn;
        ChildReplacement.replaceChild(owner, owner.vProj, with);
        owner.vProj = with;
        return;
      }
      case O_PROJ: {
        TinyAttention owner = layerBlock.selfAttn;
        ChildReplacement.replaceChild(owner, owner.oProj, with);
        owner.oProj = with;
        return;
      }
      case INTERMEDIATE_PROJ: {
        TinyMlp owner = layerBlock.mlp;
        ChildReplacement.replaceChild(owner, owner.upProj, with);
        owner.upProj = with;
        return;
      }
      case OUTPUT_PROJ: {
        TinyMlp owner = layerBlock.mlp;
        ChildReplacement.replaceChild(owner, owner.downProj, with);
        owner.downProj = with;
        return;
      }
      case SELF_ATTENTION:
        throw new IllegalArgumentException("TinyModel: " + site + " is an attention block and is not replaced; replace its projections");
      default:
        throw new IllegalArgumentException("TinyModel declares no site " + site + "; its sites are " + SITES);
    }
  }

  @Override
  public String declaredAt(Site site) {
    switch (site) {
      case SELF_ATTENTION:
        return "layers[].selfAttn";
      case Q_PROJ:
        return "layers[].selfAttn.qProj";
      case K_PROJ:
        return "layers[].selfAttn.kProj";
      case V_PROJ:
        return "layers[].selfAttn.vProj";
      case O_PROJ:
        return "layers[].selfAttn.oProj";
      case INTERMEDIATE_PROJ:
        return "layers[].mlp.upProj";
      case OUTPUT_PROJ:
        return "layers[].mlp.downProj";
      default:
        throw new IllegalArgumentException("TinyModel declares no site " + site + "; its sites are " + SITES);
    }
  }
}

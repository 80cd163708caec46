package io.github.djladapters.runtime.testmodel;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.ChildReplacement;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Hand-written bindings in the shape the processor generates for an {@code @AdaptableModel} class:
 * direct field access, {@link ChildReplacement#replaceChild} for DJL's child list. Registered in
 * {@code META-INF/services}, it stands in for generated code in discovery tests.
 */
public final class TinyModelBindings implements ModelBindings<TinyModel> {

    private static final Set<Site> SITES = Collections.unmodifiableSet(EnumSet.of(Site.SELF_ATTENTION,
            Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ, Site.O_PROJ, Site.INTERMEDIATE_PROJ, Site.OUTPUT_PROJ,
            Site.PRE_SELF_ATTENTION, Site.PRE_FFN));

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
        return Collections.unmodifiableSet(EnumSet.of(AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING));
    }

    @Override
    public Set<Site> sites() {
        return SITES;
    }

    @Override
    public QkvSplit qkvSplit(Site site) {
        throw new IllegalArgumentException(site + " is not a declared fused qkv projection");
    }

    @Override
    public Block embeddings(TinyModel model) {
        return model.embedTokens;
    }

    @Override
    public void replaceEmbeddings(TinyModel model, Block with) {
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
        TinyLayer l = model.layers.get(layer);
        return switch (site) {
            case SELF_ATTENTION -> l.selfAttn;
            case Q_PROJ -> l.selfAttn.qProj;
            case K_PROJ -> l.selfAttn.kProj;
            case V_PROJ -> l.selfAttn.vProj;
            case O_PROJ -> l.selfAttn.oProj;
            case INTERMEDIATE_PROJ -> l.mlp.upProj;
            case OUTPUT_PROJ -> l.mlp.downProj;
            case PRE_SELF_ATTENTION -> l.inputLayernorm;
            case PRE_FFN -> l.postAttentionLayernorm;
            default -> throw new IllegalArgumentException(site + " is not declared");
        };
    }

    @Override
    public void replace(TinyModel model, int layer, Site site, Block with) {
        TinyAttention attn = model.layers.get(layer).selfAttn;
        TinyMlp mlp = model.layers.get(layer).mlp;
        switch (site) {
            case Q_PROJ -> {
                ChildReplacement.replaceChild(attn, attn.qProj, with);
                attn.qProj = with;
            }
            case O_PROJ -> {
                ChildReplacement.replaceChild(attn, attn.oProj, with);
                attn.oProj = with;
            }
            case INTERMEDIATE_PROJ -> {
                ChildReplacement.replaceChild(mlp, mlp.upProj, with);
                mlp.upProj = with;
            }
            default -> throw new IllegalArgumentException(site + " cannot be replaced in this test double");
        }
    }

    @Override
    public String declaredAt(Site site) {
        return switch (site) {
            case Q_PROJ -> "selfAttn.qProj";
            case O_PROJ -> "selfAttn.oProj";
            default -> site.interfaceKey();
        };
    }
}

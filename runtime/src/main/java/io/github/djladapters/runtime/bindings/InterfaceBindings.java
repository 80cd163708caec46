package io.github.djladapters.runtime.bindings;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Bindings that reach a model's parts by the child-name paths of an {@link AdapterModelInterface},
 * resolved against DJL's child lists on every call. {@code Adapters.init(model, iface)} wraps a
 * runtime interface in one; the annotation processor generates a subclass with a no-argument
 * constructor for each {@code @AdapterInterface} descriptor:
 *
 * <pre>{@code
 * public final class Gemma2Adapters_AdapterBindings extends InterfaceBindings<Gemma2Model> {
 *     public Gemma2Adapters_AdapterBindings() {
 *         super(Gemma2Model.class, Gemma2Adapters.class, AdapterModelInterface.builder()...build());
 *     }
 * }
 * }</pre>
 *
 * <p>{@code model_layers} names a block whose children are the layers, in order. Layer sites are
 * relative to a layer; q/k/v/o sites to the self-attention block, and their {@code CROSS_} twins to
 * the cross-attention block. Replacing swaps the child in DJL's child list of its owner (the block
 * before the last path step) and in every field of the owner that holds it.
 *
 * @param <M> the model class
 */
public class InterfaceBindings<M extends Block> implements ModelBindings<M> {

    private final Class<M> modelType;
    private final Class<?> declaringType;
    private final AdapterModelInterface iface;
    private final Set<AdapterMethod> methods;
    private final Set<Site> sites;

    /**
     * Binds an interface to a model class.
     *
     * @param modelType the model class; {@code Block.class} for a descriptor without a target,
     *     which discovery by model class skips
     * @param declaringType the type that carries the declaration (a descriptor, or
     *     {@code AdapterModelInterface.class} for a runtime interface)
     * @param iface the paths
     */
    public InterfaceBindings(Class<M> modelType, Class<?> declaringType, AdapterModelInterface iface) {
        this.modelType = Objects.requireNonNull(modelType, "modelType");
        this.declaringType = Objects.requireNonNull(declaringType, "declaringType");
        this.iface = Objects.requireNonNull(iface, "iface");
        this.methods = Collections.unmodifiableSet(EnumSet.copyOf(iface.adapterMethods()));
        this.sites = iface.sites();
    }

    /**
     * The interface these bindings follow.
     *
     * @return the interface
     */
    public AdapterModelInterface adapterInterface() {
        return iface;
    }

    @Override
    public Class<M> modelType() {
        return modelType;
    }

    @Override
    public Class<?> declaringType() {
        return declaringType;
    }

    @Override
    public Set<AdapterMethod> methods() {
        return methods;
    }

    @Override
    public Set<Site> sites() {
        return sites;
    }

    @Override
    public QkvSplit qkvSplit(Site site) {
        if (!site.isFusedQkv() || !sites.contains(site)) {
            throw new IllegalArgumentException(site + " is not a declared fused qkv projection; declared sites are "
                    + sites);
        }
        return iface.attnQkvSplit().orElse(QkvSplit.EQUAL_THIRDS);
    }

    @Override
    public Block embeddings(M model) {
        return last(embeddingsChain(model));
    }

    @Override
    public void replaceEmbeddings(M model, Block with) {
        swap(embeddingsChain(model), with);
    }

    @Override
    public int layerCount(M model) {
        return layerList(model).size();
    }

    @Override
    public Block layer(M model, int layer) {
        List<Block> layers = layerList(model);
        if (layer < 0 || layer >= layers.size()) {
            throw new IndexOutOfBoundsException("layer " + layer + " is out of range: model_layers '"
                    + iface.modelLayers() + "' has " + layers.size() + " children");
        }
        return layers.get(layer);
    }

    @Override
    public Block get(M model, int layer, Site site) {
        return last(siteChain(model, layer, site));
    }

    @Override
    public void replace(M model, int layer, Site site, Block with) {
        if (!site.isReplaceable()) {
            throw new IllegalArgumentException(declaringType.getSimpleName() + ": " + site
                    + " is an attention block and is not replaced; replace its projections");
        }
        swap(siteChain(model, layer, site), with);
    }

    /**
     * The site's path relative to a layer, such as {@code self_attn.q_proj} or {@code mlp.up_proj}.
     *
     * @param site a declared site
     * @return the layer-relative path
     * @throws IllegalArgumentException when the site is not declared
     */
    @Override
    public String declaredAt(Site site) {
        String path = declaredPath(site);
        return switch (site.scope()) {
            case LAYER -> path;
            case SELF_ATTENTION -> iface.pathOf(Site.SELF_ATTENTION).orElseThrow() + "." + path;
            case CROSS_ATTENTION -> iface.pathOf(Site.CROSS_ATTENTION).orElseThrow() + "." + path;
        };
    }

    private String declaredPath(Site site) {
        return iface.pathOf(site).orElseThrow(() -> new IllegalArgumentException("site " + site + " ("
                + site.interfaceKey() + ") is not declared by " + declaringType.getName() + "; declared sites are "
                + sites));
    }

    /** The model, then every block on the way to the embeddings. */
    private List<Block> embeddingsChain(M model) {
        try {
            return ModulePaths.resolveChain(model, iface.modelEmbeddings());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot resolve model_embeddings of "
                    + model.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    private List<Block> layerList(M model) {
        Block container;
        try {
            container = ModulePaths.resolve(model, iface.modelLayers());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot resolve model_layers of "
                    + model.getClass().getName() + ": " + e.getMessage(), e);
        }
        return new ArrayList<>(ModulePaths.children(container).values());
    }

    /** The layer, then every block on the way to the site; attention paths resolve in two steps. */
    private List<Block> siteChain(M model, int layer, Site site) {
        String path = declaredPath(site);
        Block layerBlock = layer(model, layer);
        try {
            List<Block> chain = new ArrayList<>();
            Block from = layerBlock;
            if (site.scope() != Site.Scope.LAYER) {
                Site attention = site.scope() == Site.Scope.SELF_ATTENTION ? Site.SELF_ATTENTION : Site.CROSS_ATTENTION;
                List<Block> toAttention = ModulePaths.resolveChain(layerBlock, iface.pathOf(attention).orElseThrow());
                chain.addAll(toAttention.subList(0, toAttention.size() - 1));
                from = last(toAttention);
            }
            chain.addAll(ModulePaths.resolveChain(from, path));
            return chain;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot resolve " + site + " of layer " + layer + " at '"
                    + declaredAt(site) + "' (" + site.interfaceKey() + "): " + e.getMessage(), e);
        }
    }

    /** Replaces the last block of a resolved chain in its owner, the block before it. */
    private static void swap(List<Block> chain, Block with) {
        Objects.requireNonNull(with, "replacement block");
        Block owner = chain.get(chain.size() - 2);
        ChildReplacement.replaceChildAndFields(owner, last(chain), with);
    }

    private static Block last(List<Block> chain) {
        return chain.get(chain.size() - 1);
    }
}

package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.attention.KeyValueAttention;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.bindings.Site;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A model together with the bindings that find its parts, checked once when created by
 * {@link Adapters#init}: every declared site of every layer resolves to a block registered in the
 * model's child tree. Adapter methods read and replace sites through it, and name saved tensors by
 * its Hugging Face style {@link #modulePath module paths}.
 *
 * <pre>{@code
 * BoundModel<LlamaModel> bound = Adapters.init(model);
 * Block q = bound.block(0, Site.Q_PROJ);
 * String key = bound.modulePath(0, Site.Q_PROJ);   // "layers.0.self_attn.q_proj"
 * }</pre>
 *
 * @param <M> the model class
 */
public final class BoundModel<M extends Block> {

    private final M model;
    private final ModelBindings<? super M> bindings;

    private BoundModel(M model, ModelBindings<? super M> bindings) {
        this.model = model;
        this.bindings = bindings;
    }

    /** Checks the bindings against the model and binds them. */
    static <M extends Block> BoundModel<M> bind(M model, ModelBindings<? super M> bindings) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bindings, "bindings");
        if (!bindings.modelType().isInstance(model)) {
            throw new IllegalArgumentException("adapter bindings declared by " + bindings.declaringType().getName()
                    + " are for " + bindings.modelType().getName() + ", not " + model.getClass().getName());
        }
        BoundModel<M> bound = new BoundModel<>(model, bindings);
        bound.check();
        return bound;
    }

    /**
     * The model.
     *
     * @return the model, with any replacements made through this binding
     */
    public M model() {
        return model;
    }

    /**
     * The bindings that find the model's parts.
     *
     * @return the bindings
     */
    public ModelBindings<? super M> bindings() {
        return bindings;
    }

    /**
     * The adapter methods the model's declaration supports.
     *
     * @return an unmodifiable set
     */
    public Set<AdapterMethod> methods() {
        return bindings.methods();
    }

    /**
     * The per-layer sites the declaration names.
     *
     * @return an unmodifiable set
     */
    public Set<Site> sites() {
        return bindings.sites();
    }

    /**
     * The number of transformer layers.
     *
     * @return the layer count
     */
    public int layerCount() {
        return bindings.layerCount(model);
    }

    /**
     * The token embedding block.
     *
     * @return the embeddings
     */
    public Block embeddings() {
        return bindings.embeddings(model);
    }

    /**
     * The block at one site of one layer.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return the block now at that site
     */
    public Block block(int layer, Site site) {
        return bindings.get(model, layer, site);
    }

    /**
     * Puts a block at one site of one layer, in the owner's field and DJL's child list alike, so
     * that forward passes, parameter listing, freezing and saving see it under the old name.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @param with the new block, usually a wrapper around {@link #block(int, Site)}
     */
    public void replace(int layer, Site site, Block with) {
        bindings.replace(model, layer, site, Objects.requireNonNull(with, "replacement block"));
    }

    /**
     * The Hugging Face style module path of one site, the prefix of its saved tensor names.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return for example {@code layers.1.self_attn.q_proj}
     */
    public String modulePath(int layer, Site site) {
        return bindings.modulePath(model, layer, site);
    }

    /**
     * The Hugging Face style module path of the embeddings.
     *
     * @return for example {@code embed_tokens}
     */
    public String embeddingsPath() {
        return bindings.embeddingsPath(model);
    }

    /**
     * Every block of the model by Hugging Face style module path, in depth-first order; the model
     * itself is {@code ""}. Computed on each call, so it shows replacements.
     *
     * @return an unmodifiable map from module path to block
     */
    public Map<String, Block> moduleTree() {
        return Collections.unmodifiableMap(ModulePaths.all(model));
    }

    /** Resolves every declared part once, so that a wrong declaration fails here and not mid-training. */
    private void check() {
        Map<Block, String> registered = new IdentityHashMap<>();
        ModulePaths.all(model).forEach((path, block) -> registered.putIfAbsent(block, path));
        String declaration = "adapter bindings declared by " + bindings.declaringType().getName() + " for "
                + model.getClass().getName();
        Block embeddings;
        try {
            embeddings = bindings.embeddings(model);
        } catch (RuntimeException e) {
            throw new IllegalStateException(declaration + ": the embeddings do not resolve: " + e.getMessage(), e);
        }
        if (embeddings == null || !registered.containsKey(embeddings)) {
            throw new IllegalStateException(declaration + ": the embeddings are "
                    + (embeddings == null ? "null" : "not a registered child of the model (add them with addChildBlock)"));
        }
        boolean needsKeyValues = bindings.methods().contains(AdapterMethod.PREFIX_TUNING)
                || bindings.methods().contains(AdapterMethod.ADAPTION_PROMPT);
        if (needsKeyValues && !bindings.sites().contains(Site.SELF_ATTENTION)) {
            throw new IllegalStateException(declaration + ": prefix_tuning and adaption_prompt need the"
                    + " self-attention block (layer_self_attn / @SelfAttention) declared");
        }
        int layers;
        try {
            layers = bindings.layerCount(model);
        } catch (RuntimeException e) {
            throw new IllegalStateException(declaration + ": the layers do not resolve: " + e.getMessage(), e);
        }
        for (int layer = 0; layer < layers; layer++) {
            for (Site site : bindings.sites()) {
                checkSite(declaration, registered, layer, site);
            }
        }
    }

    private void checkSite(String declaration, Map<Block, String> registered, int layer, Site site) {
        String where = declaration + ": site " + site + " of layer " + layer + " (declared at "
                + bindings.declaredAt(site) + ")";
        Block block;
        try {
            block = bindings.get(model, layer, site);
        } catch (RuntimeException e) {
            throw new IllegalStateException(where + " does not resolve: " + e.getMessage(), e);
        }
        if (block == null) {
            throw new IllegalStateException(where + " is null");
        }
        if (!registered.containsKey(block)) {
            throw new IllegalStateException(where + " is a " + block.getClass().getName()
                    + " that is not a registered child of the model; add it with addChildBlock so adapters can"
                    + " name, replace and save it");
        }
        boolean needsKeyValues = bindings.methods().contains(AdapterMethod.PREFIX_TUNING)
                || bindings.methods().contains(AdapterMethod.ADAPTION_PROMPT);
        boolean attention = site == Site.SELF_ATTENTION || site == Site.CROSS_ATTENTION;
        if (needsKeyValues && attention && !(block instanceof KeyValueAttention)) {
            throw new IllegalStateException(where + " is a " + block.getClass().getName() + ", which does not"
                    + " implement " + KeyValueAttention.class.getName() + "; prefix_tuning and adaption_prompt"
                    + " need it to reach the keys and values");
        }
    }
}

package io.github.djladapters.runtime.bindings;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import java.util.Set;

/**
 * Finds and replaces the parts of one model architecture. The annotation processor generates an
 * implementation for every {@code @AdaptableModel} class and {@code @AdapterInterface} descriptor
 * (by direct field access, without reflection) and registers it for {@link java.util.ServiceLoader};
 * {@code Adapters.init(model)} picks the one whose {@link #modelType()} matches the model.
 *
 * @param <M> the model class
 */
public interface ModelBindings<M extends Block> {

    /**
     * The model class these bindings read; bindings apply to this class and its subclasses.
     *
     * @return the model class
     */
    Class<M> modelType();

    /**
     * The type that carries the declaration: the {@code @AdaptableModel} class, the
     * {@code @AdapterInterface} descriptor, or {@code AdapterModelInterface} for a runtime interface.
     *
     * @return the declaring type
     */
    Class<?> declaringType();

    /**
     * The adapter methods the declaration supports.
     *
     * @return an unmodifiable set of methods
     */
    Set<AdapterMethod> methods();

    /**
     * The per-layer sites the declaration names; {@link #get} and {@link #replace} accept these.
     *
     * @return an unmodifiable set of sites
     */
    Set<Site> sites();

    /**
     * How a fused qkv site splits.
     *
     * @param site {@link Site#QKV_PROJ} or {@link Site#CROSS_QKV_PROJ}
     * @return the split
     * @throws IllegalArgumentException when the site is not a declared fused projection
     */
    QkvSplit qkvSplit(Site site);

    /**
     * The token embedding block.
     *
     * @param model the model
     * @return its embeddings
     */
    Block embeddings(M model);

    /**
     * Replaces the embedding block, keeping DJL's child list in step.
     *
     * @param model the model
     * @param with the new block
     */
    void replaceEmbeddings(M model, Block with);

    /**
     * The number of transformer layers.
     *
     * @param model the model
     * @return the layer count
     */
    int layerCount(M model);

    /**
     * One transformer layer.
     *
     * @param model the model
     * @param layer the layer index, from 0
     * @return the layer block
     */
    Block layer(M model, int layer);

    /**
     * The block at one site of one layer.
     *
     * @param model the model
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return the block currently at that site
     * @throws IllegalArgumentException when the site is not declared
     */
    Block get(M model, int layer, Site site);

    /**
     * Puts {@code with} at one site of one layer: the field that holds the part and DJL's child list
     * of its owner both change, so forward passes, parameter listing, freezing and saving see it.
     *
     * @param model the model
     * @param layer the layer index, from 0
     * @param site a declared site
     * @param with the new block
     * @throws IllegalArgumentException when the site is not declared or cannot hold a replacement
     */
    void replace(M model, int layer, Site site, Block with);

    /**
     * Where the declaration names a site, for messages: a field chain such as
     * {@code selfAttn.qProj} or an interface path such as {@code self_attn.q_proj}.
     *
     * @param site a declared site
     * @return a human-readable location
     */
    String declaredAt(Site site);

    /**
     * The Hugging Face style module path of one site, read off DJL's child names.
     *
     * @param model the model
     * @param layer the layer index
     * @param site a declared site
     * @return for example {@code encoder.layer.0.attention.self.query}
     */
    default String modulePath(M model, int layer, Site site) {
        return ModulePaths.pathOf(model, get(model, layer, site));
    }

    /**
     * The Hugging Face style module path of the embeddings.
     *
     * @param model the model
     * @return for example {@code embeddings.word_embeddings}
     */
    default String embeddingsPath(M model) {
        return ModulePaths.pathOf(model, embeddings(model));
    }
}

package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.LayerOutputExtendingModel;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What an adapter method sees of a model bound to its adapter bindings: its layers and declared
 * sites, the blocks there and their Hugging Face module paths, the whole module tree, a way to put
 * another block at a module, and the hook points that are not blocks (the model's inputs, the keys
 * and values of attention). Methods attach through this view only, never through the
 * {@code AdapterModel} facade, so that the facade can change without touching them.
 */
public interface BoundModel {

    /**
     * The model's root block.
     *
     * @return the model, with any replacements made so far
     */
    Block model();

    /**
     * The adapter method families the model's declaration supports.
     *
     * @return an unmodifiable set
     */
    Set<AdapterMethod> methods();

    /**
     * The per-layer sites the declaration names.
     *
     * @return an unmodifiable set
     */
    Set<Site> sites();

    /**
     * The number of transformer layers.
     *
     * @return the layer count
     */
    int layerCount();

    /**
     * The token embedding block.
     *
     * @return the embeddings
     */
    Block embeddings();

    /**
     * The module path of the embeddings.
     *
     * @return for example {@code embed_tokens}
     */
    String embeddingsPath();

    /**
     * The block at one site of one layer.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return the block now at that site
     */
    Block block(int layer, Site site);

    /**
     * Puts a block at one site of one layer, in the owner's field and DJL's child list alike.
     *
     * @param layer the layer index, from 0
     * @param site a declared, replaceable site
     * @param with the new block
     */
    void replace(int layer, Site site, Block with);

    /**
     * The module path of one site.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return for example {@code layers.1.self_attn.q_proj}
     */
    String modulePath(int layer, Site site);

    /**
     * The module path of one layer.
     *
     * @param layer the layer index, from 0
     * @return for example {@code encoder.layer.1}
     */
    String layerPath(int layer);

    /**
     * How a fused query/key/value site splits its output.
     *
     * @param site {@link Site#QKV_PROJ} or {@link Site#CROSS_QKV_PROJ}
     * @return the split
     */
    QkvSplit qkvSplit(Site site);

    /**
     * Every block by module path, in depth-first order; the model itself is {@code ""}. Computed on
     * each call, so it shows replacements.
     *
     * @return an unmodifiable map
     */
    Map<String, Block> moduleTree();

    /**
     * Puts {@code with} where {@code current} is: at the target's site when it has one, otherwise in
     * the field and child list of the module that owns the target's path.
     *
     * @param target the module
     * @param current the block now there
     * @param with the block to put there
     */
    void replaceModule(TargetModule target, Block current, Block with);

    /**
     * The attention block of one layer as a key/value hook point, for prefix tuning and the like.
     *
     * @param layer the layer index, from 0
     * @param site {@link Site#SELF_ATTENTION} or {@link Site#CROSS_ATTENTION}
     * @return the block when it is declared and implements {@link KeyValueAttention}
     */
    default Optional<KeyValueAttention> keyValueAttention(int layer, Site site) {
        if (!sites().contains(site)) {
            return Optional.empty();
        }
        return block(layer, site) instanceof KeyValueAttention attention ? Optional.of(attention) : Optional.empty();
    }

    /**
     * The model's input hook point, for methods that change the model's inputs (prompt tuning).
     *
     * @return the model when it implements {@link InputExtendingModel}
     */
    default Optional<InputExtendingModel> inputHooks() {
        return model() instanceof InputExtendingModel hooks ? Optional.of(hooks) : Optional.empty();
    }

    /**
     * The model's layer-output hook point, for interventions on the hidden states between layers
     * (ReFT).
     *
     * @return the model when it implements {@link LayerOutputExtendingModel}
     */
    default Optional<LayerOutputExtendingModel> layerOutputHooks() {
        return model() instanceof LayerOutputExtendingModel hooks ? Optional.of(hooks) : Optional.empty();
    }
}

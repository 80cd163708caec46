package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.bindings.Site;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Resolves every declared part of a model once, when it is bound, so that a wrong declaration fails
 * at {@code Adapters.init} and not mid-training: the embeddings and every site of every layer must
 * be blocks registered in the model's child tree, each method's required roles declared, and
 * attention sites {@link KeyValueAttention} for methods that extend keys and values.
 *
 * @param <M> the model class
 */
final class BindingsCheck<M extends Block> {

    private final M model;
    private final ModelBindings<? super M> bindings;
    private final String declaration;
    private final Map<Block, String> registered = new IdentityHashMap<>();

    private BindingsCheck(M model, ModelBindings<? super M> bindings) {
        this.model = model;
        this.bindings = bindings;
        this.declaration = "adapter bindings declared by " + bindings.declaringType().getName() + " for "
                + model.getClass().getName();
        ModulePaths.all(model).forEach((path, block) -> registered.putIfAbsent(block, path));
    }

    /**
     * Checks the bindings against the model.
     *
     * @param model the model
     * @param bindings its bindings, already known to be for its class
     * @param <M> the model class
     * @throws IllegalStateException naming the declaration, the site and the layer of the first problem
     */
    static <M extends Block> void verify(M model, ModelBindings<? super M> bindings) {
        new BindingsCheck<>(model, bindings).verify();
    }

    private void verify() {
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
        for (AdapterMethod method : bindings.methods()) {
            for (Class<? extends java.lang.annotation.Annotation> role : method.requiredRoles()) {
                if (!bindings.sites().contains(Site.ofRole(role))) {
                    throw new IllegalStateException(declaration + ": " + method.configName() + " needs @"
                            + role.getSimpleName() + " (" + Site.ofRole(role).interfaceKey() + ") declared");
                }
            }
            if (method.needsKeyValueAttention() && !bindings.sites().contains(Site.SELF_ATTENTION)) {
                throw new IllegalStateException(declaration + ": " + method.configName() + " needs the"
                        + " self-attention block (layer_self_attn / @SelfAttention) declared");
            }
        }
        int layers;
        try {
            layers = bindings.layerCount(model);
        } catch (RuntimeException e) {
            throw new IllegalStateException(declaration + ": the layers do not resolve: " + e.getMessage(), e);
        }
        for (int layer = 0; layer < layers; layer++) {
            for (Site site : bindings.sites()) {
                verifySite(layer, site);
            }
        }
    }

    private void verifySite(int layer, Site site) {
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
        boolean attention = site == Site.SELF_ATTENTION || site == Site.CROSS_ATTENTION;
        for (AdapterMethod method : bindings.methods()) {
            if (method.needsKeyValueAttention() && attention && !(block instanceof KeyValueAttention)) {
                throw new IllegalStateException(where + " is a " + block.getClass().getName() + ", which does not"
                        + " implement " + KeyValueAttention.class.getName() + "; " + method.configName()
                        + " needs it to reach the keys and values");
            }
        }
    }
}

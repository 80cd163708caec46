package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.ChildReplacement;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.TargetModule;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The {@link BoundModel} view of a model and its bindings that adapter methods work against. */
final class ModelView<M extends Block> implements BoundModel {

    private final M model;
    private final ModelBindings<? super M> bindings;

    ModelView(M model, ModelBindings<? super M> bindings) {
        this.model = model;
        this.bindings = bindings;
    }

    ModelBindings<? super M> bindings() {
        return bindings;
    }

    @Override
    public M model() {
        return model;
    }

    @Override
    public Set<AdapterMethod> methods() {
        return bindings.methods();
    }

    @Override
    public Set<Site> sites() {
        return bindings.sites();
    }

    @Override
    public int layerCount() {
        return bindings.layerCount(model);
    }

    @Override
    public Block embeddings() {
        return bindings.embeddings(model);
    }

    @Override
    public String embeddingsPath() {
        return bindings.embeddingsPath(model);
    }

    @Override
    public Block block(int layer, Site site) {
        return bindings.get(model, layer, site);
    }

    @Override
    public void replace(int layer, Site site, Block with) {
        bindings.replace(model, layer, site, Objects.requireNonNull(with, "replacement block"));
    }

    @Override
    public String modulePath(int layer, Site site) {
        return bindings.modulePath(model, layer, site);
    }

    @Override
    public String layerPath(int layer) {
        return ModulePaths.pathOf(model, bindings.layer(model, layer));
    }

    @Override
    public QkvSplit qkvSplit(Site site) {
        return bindings.qkvSplit(site);
    }

    @Override
    public Map<String, Block> moduleTree() {
        return Collections.unmodifiableMap(ModulePaths.all(model));
    }

    @Override
    public void replaceModule(TargetModule target, Block current, Block with) {
        if (target.site() != null) {
            replace(target.layer(), target.site(), with);
        } else {
            String path = target.path();
            int dot = path.lastIndexOf('.');
            Block owner = dot < 0 ? model : moduleTree().get(path.substring(0, dot));
            // the embeddings may also sit in a typed field for a tied LM head, which keeps the table itself
            ChildReplacement.replaceChildAndFields(owner, current, with, path.equals(embeddingsPath()));
        }
    }
}

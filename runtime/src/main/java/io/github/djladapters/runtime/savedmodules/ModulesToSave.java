package io.github.djladapters.runtime.savedmodules;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.TargetModule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the modules of PEFT's {@code modules_to_save} in a model and gives an adapter its copy of
 * each, in a {@link ModulesToSaveLayer}. Shared by every adapter method whose config has the field.
 */
public final class ModulesToSave {

    private static final Logger LOG = LoggerFactory.getLogger(ModulesToSave.class);

    private ModulesToSave() {}

    /**
     * The modules an adapter copies, by PEFT's rule: a module whose path equals an entry or ends with
     * {@code "." + entry}. Nothing inside a matched module or inside another adapter's wrapper is
     * matched again (a wrapper already holding copies is matched itself). Entries that match no module
     * are logged and skipped, as PEFT does: its sequence classification adds {@code classifier} and
     * {@code score} to every config, and a model has only one of them.
     *
     * @param entries the config's {@code modules_to_save}; null or empty for none
     * @param model the model
     * @return the modules, in module order
     * @throws IllegalArgumentException for a null or empty entry
     */
    public static List<TargetModule> targets(List<String> entries, BoundModel model) {
        if (entries == null || entries.isEmpty()) {
            return List.of();
        }
        for (String entry : entries) {
            if (entry == null || entry.isEmpty()) {
                throw new IllegalArgumentException("modules_to_save " + entries + " has an empty entry");
            }
        }
        List<TargetModule> targets = new ArrayList<>();
        Set<String> unmatched = new LinkedHashSet<>(entries);
        String skipped = null;
        for (Map.Entry<String, Block> module : model.moduleTree().entrySet()) {
            String path = module.getKey();
            if (path.isEmpty() || skipped != null && path.startsWith(skipped + ".")) {
                continue;
            }
            String entry = matching(entries, path);
            if (entry != null) {
                targets.add(new TargetModule(path, module.getValue(), -1, null));
                unmatched.remove(entry);
                skipped = path;
            } else if (module.getValue() instanceof AdapterLayer<?>) {
                skipped = path;
            }
        }
        if (!unmatched.isEmpty()) {
            LOG.warn("modules_to_save entries {} match no module of {}; they are ignored", unmatched,
                    model.model().getClass().getName());
        }
        return targets;
    }

    private static String matching(List<String> entries, String path) {
        for (String entry : entries) {
            if (path.equals(entry) || path.endsWith("." + entry)) {
                return entry;
            }
        }
        return null;
    }

    /**
     * Gives an adapter its copy of one module: in the {@link ModulesToSaveLayer} already there, or in a
     * new one wrapping the module's block, which the caller then installs.
     *
     * @param name the adapter name
     * @param target the module
     * @param model the bound model, where a new layer installs itself
     * @param activation the model's shared activation state, for a new layer
     * @return the layer that now holds the adapter's copy
     * @throws IllegalArgumentException when the module holds another method's adapters or cannot be
     *     copied
     */
    public static ModulesToSaveLayer attach(String name, TargetModule target, BoundModel model,
            AdapterActivation activation) {
        ModulesToSaveLayer layer;
        if (target.block() instanceof ModulesToSaveLayer existing) {
            layer = existing;
        } else if (target.block() instanceof AdapterLayer<?> other) {
            throw new IllegalArgumentException("module '" + target.path() + "' in modules_to_save already holds "
                    + other.getClass().getSimpleName() + " adapters " + other.adapterNames()
                    + "; a module is either an adapter target or a module to save");
        } else {
            layer = new ModulesToSaveLayer(target.block(), target.path(), activation);
            layer.placeAt(model, target);
        }
        layer.add(name);
        return layer;
    }
}

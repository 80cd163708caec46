package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.bindings.ChildReplacement;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterMethodSupport;
import io.github.djladapters.runtime.methods.AdapterMethods;
import io.github.djladapters.runtime.methods.PendingMerge;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.savedmodules.ModulesToSave;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adapters of one {@link AdapterModel}: their configs, the wrappers placed in the model (the
 * methods' layers and the {@code modules_to_save} copies), the shared activation and the order of
 * merges. Every change to the model's structure goes through here, so that deleting or unloading
 * can undo it exactly.
 */
final class AdapterInventory {

    /** A wrapper in the model and where it was put, to take it out again. */
    private record Placement(TargetModule target, AdapterLayer<?> layer) {}

    private final AdapterModel<?> model;
    private final Map<String, AdapterConfig> configs = new LinkedHashMap<>();
    private final Map<String, Placement> placements = new LinkedHashMap<>();
    private final List<String> mergeOrder = new ArrayList<>();
    private final AdapterActivation activation = new AdapterActivation();

    AdapterInventory(AdapterModel<?> model) {
        this.model = model;
    }

    AdapterActivation activation() {
        return activation;
    }

    Map<String, AdapterConfig> configs() {
        return Collections.unmodifiableMap(configs);
    }

    List<String> mergeOrder() {
        return Collections.unmodifiableList(mergeOrder);
    }

    List<AdapterLayer<?>> layers() {
        List<AdapterLayer<?>> layers = new ArrayList<>();
        placements.values().forEach(p -> layers.add(p.layer()));
        return layers;
    }

    AdapterConfig require(String name) {
        AdapterConfig config = configs.get(name);
        if (config == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "'; adapters: " + configs.keySet());
        }
        return config;
    }

    <C extends AdapterConfig> void add(String name, C config) {
        if (name == null || name.isEmpty() || AdapterModel.BASE_MODEL.equals(name)) {
            throw new IllegalArgumentException("adapter name must be non-empty and not '" + AdapterModel.BASE_MODEL
                    + "', got '" + name + "'");
        }
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("an adapter named '" + name + "' already exists");
        }
        AdapterMethodSupport<C> method = AdapterMethods.forConfig(config);
        method.validate(config);
        List<TargetModule> targets = method.targets(config, model);
        List<TargetModule> saved = ModulesToSave.targets(config.modulesToSave(), model);
        checkApart(targets, saved);
        configs.put(name, config);
        try {
            for (TargetModule target : targets) {
                AdapterLayer<?> layer = method.attach(name, config, target, activation);
                if (layer != target.block()) {
                    put(target, layer);
                }
            }
            for (TargetModule target : saved) {
                AdapterLayer<?> layer = ModulesToSave.attach(name, target, activation);
                if (layer != target.block()) {
                    put(target, layer);
                }
            }
        } catch (RuntimeException e) {
            delete(name); // take back what the failed add placed, so nothing is half-added
            throw e;
        }
    }

    /** A module is an adapter target or a module to save, not both, and not one inside the other. */
    private static void checkApart(List<TargetModule> targets, List<TargetModule> saved) {
        for (TargetModule copy : saved) {
            for (TargetModule target : targets) {
                if (target.path().equals(copy.path()) || target.path().startsWith(copy.path() + ".")
                        || copy.path().startsWith(target.path() + ".")) {
                    throw new IllegalArgumentException("module '" + target.path() + "' is an adapter target and "
                            + (target.path().equals(copy.path()) ? "" : "overlaps '" + copy.path() + "', ")
                            + "in modules_to_save; narrow target_modules (a regex, or layers_to_transform) so that"
                            + " the trained copy is not also adapted");
                }
            }
        }
    }

    /**
     * Checks that at most one of the adapters to activate has modules to save, as PEFT requires: a
     * saved module runs one adapter's copy at a time.
     *
     * @param names the adapters to activate
     * @throws IllegalArgumentException naming the adapters and their modules otherwise
     */
    void checkActivation(List<String> names) {
        Map<String, List<String>> saving = new LinkedHashMap<>();
        for (String name : names) {
            for (AdapterLayer<?> layer : layers()) {
                if (layer instanceof ModulesToSaveLayer && layer.adapterNames().contains(name)) {
                    saving.computeIfAbsent(name, n -> new ArrayList<>()).add(layer.modulePath());
                }
            }
        }
        if (saving.size() > 1) {
            throw new IllegalArgumentException("adapters " + saving.keySet() + " each have their own trained copy of"
                    + " modules (modules_to_save: " + saving + "); as in PEFT, only one of them can be active at a"
                    + " time (per-row routing may still mix them)");
        }
    }

    private void put(TargetModule target, AdapterLayer<?> layer) {
        if (target.site() != null) {
            model.replace(target.layer(), target.site(), layer);
        } else {
            ChildReplacement.replaceChildAndFields(owner(target.path()), target.block(), layer);
        }
        placements.put(target.path(), new Placement(target, layer));
    }

    private void takeOut(Placement placement) {
        takeOut(placement, placement.layer().base());
    }

    /** Puts {@code base} where the placement's wrapper is. */
    private void takeOut(Placement placement, Block base) {
        TargetModule target = placement.target();
        if (target.site() != null) {
            model.replace(target.layer(), target.site(), base);
        } else {
            ChildReplacement.replaceChildAndFields(owner(target.path()), placement.layer(), base);
        }
        placements.remove(target.path());
    }

    private Block owner(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? model.model() : model.moduleTree().get(path.substring(0, dot));
    }

    void delete(String name) {
        if (mergeOrder.contains(name)) {
            unmerge(name);
        }
        for (Placement placement : new ArrayList<>(placements.values())) {
            placement.layer().removeAdapter(name);
            if (placement.layer().adapterNames().isEmpty()) {
                takeOut(placement);
            }
        }
        configs.remove(name);
        activation.forget(name);
    }

    /** Merges one adapter everywhere, after checking every new weight is finite. */
    void merge(String name) {
        require(name);
        if (mergeOrder.contains(name)) {
            throw new IllegalStateException("adapter '" + name + "' is already merged");
        }
        List<PendingMerge> pending = new ArrayList<>();
        try {
            for (AdapterLayer<?> layer : layers()) {
                if (layer.mergeable() && layer.adapterNames().contains(name)) {
                    PendingMerge merge = layer.prepareMerge(name);
                    pending.add(merge);
                    if (!merge.finite()) {
                        throw new IllegalStateException("merging adapter '" + name + "' would put NaN or Inf into the"
                                + " weight of '" + layer.modulePath() + "'; no weight was changed");
                    }
                }
            }
        } catch (RuntimeException e) {
            pending.forEach(PendingMerge::discard);
            throw e;
        }
        pending.forEach(PendingMerge::apply);
        mergeOrder.add(name);
    }

    /** Takes one merged adapter back out, refusing before any change when a later merge covers it. */
    void unmerge(String name) {
        if (!mergeOrder.contains(name)) {
            return;
        }
        for (AdapterLayer<?> layer : layers()) {
            List<String> merged = layer.mergedAdapters();
            if (merged.contains(name) && !merged.get(merged.size() - 1).equals(name)) {
                throw new IllegalStateException("adapter '" + merged.get(merged.size() - 1) + "' was merged after '"
                        + name + "' into '" + layer.modulePath() + "'; unmerge it first");
            }
        }
        for (AdapterLayer<?> layer : layers()) {
            layer.unmergeAdapter(name);
        }
        mergeOrder.remove(name);
    }

    void unmergeAll() {
        for (int i = mergeOrder.size() - 1; i >= 0; i--) {
            unmerge(mergeOrder.get(i));
        }
    }

    /**
     * Takes every wrapper out of the model, leaving base weights as they are, and forgets all adapters.
     *
     * @param keepActiveCopies whether a module to save gets the active adapter's trained copy
     *     ({@code mergeAndUnload}) rather than its original block ({@code unload})
     */
    void unwrapAll(boolean keepActiveCopies) {
        for (Placement placement : new ArrayList<>(placements.values())) {
            Block kept = null;
            if (keepActiveCopies && placement.layer() instanceof ModulesToSaveLayer saved) {
                for (String name : activation.active()) {
                    kept = kept == null ? saved.detach(name) : kept;
                }
            }
            takeOut(placement, kept == null ? placement.layer().base() : kept);
            placement.layer().release();
        }
        configs.clear();
        mergeOrder.clear();
        activation.setActive(List.of());
    }

    /** Every adapter parameter, by identity. */
    Set<Parameter> adapterParameters() {
        Set<Parameter> parameters = Collections.newSetFromMap(new IdentityHashMap<>());
        for (AdapterLayer<?> layer : layers()) {
            for (String name : layer.adapterNames()) {
                parameters.addAll(layer.parameters(name));
            }
        }
        return parameters;
    }

    List<Parameter> parameters(String name) {
        List<Parameter> parameters = new ArrayList<>();
        for (AdapterLayer<?> layer : layers()) {
            parameters.addAll(layer.parameters(name));
        }
        return parameters;
    }
}

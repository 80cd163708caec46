package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.PendingMerge;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.savedmodules.ModulesToSave;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adapters of one {@link AdapterModel}: their configs, the attachments the methods installed (and
 * the {@code modules_to_save} copies), the shared activation and the order of merges. Every change to
 * the model's structure goes through here, so that deleting or unloading undoes it exactly, whatever
 * the method.
 */
final class AdapterInventory {

    private final BoundModel model;
    private final String baseModelName;
    private final Map<String, AdapterConfig> configs = new LinkedHashMap<>();
    private final Set<AdapterAttachment> attachments = Collections.newSetFromMap(new LinkedHashMap<>());
    private final List<String> mergeOrder = new ArrayList<>();
    private final AdapterActivation activation = new AdapterActivation();

    AdapterInventory(BoundModel model, String baseModelName) {
        this.model = model;
        this.baseModelName = baseModelName;
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

    List<AdapterAttachment> attachments() {
        return new ArrayList<>(attachments);
    }

    List<AdapterLayer<?>> layers() {
        List<AdapterLayer<?>> layers = new ArrayList<>();
        attachments.forEach(a -> {
            if (a instanceof AdapterLayer<?> layer) {
                layers.add(layer);
            }
        });
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
        if (name == null || name.isEmpty() || baseModelName.equals(name)) {
            throw new IllegalArgumentException("adapter name must be non-empty and not '" + baseModelName
                    + "', got '" + name + "'");
        }
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("an adapter named '" + name + "' already exists");
        }
        MethodProvider<C> method = MethodRegistry.forConfig(config);
        if (!model.methods().contains(method.family())) {
            throw new IllegalArgumentException("adapter '" + name + "' is " + method.name() + ", of the "
                    + method.family().configName() + " family, which the declaration of "
                    + model.model().getClass().getName() + " does not list; it declares " + model.methods());
        }
        method.validate(config);
        List<TargetModule> saved = ModulesToSave.targets(config.modulesToSave(), model);
        configs.put(name, config);
        try {
            List<AdapterAttachment> placed = method.attach(name, config, model, activation);
            if (placed.isEmpty()) {
                throw new IllegalArgumentException("adapter '" + name + "' (" + method.name()
                        + ") attached nowhere in " + model.model().getClass().getName());
            }
            keep(placed);
            checkApart(placed, saved);
            for (TargetModule target : saved) {
                keep(List.of(ModulesToSave.attach(name, target, model, activation)));
            }
        } catch (RuntimeException e) {
            delete(name); // take back what the failed add placed, so nothing is half-added
            throw e;
        }
    }

    private void keep(List<? extends AdapterAttachment> placed) {
        for (AdapterAttachment attachment : placed) {
            if (!attachment.installed()) {
                attachment.install();
            }
            attachments.add(attachment);
        }
    }

    /** A module is an adapter target or a module to save, not both, and not one inside the other. */
    private static void checkApart(List<AdapterAttachment> placed, List<TargetModule> saved) {
        for (TargetModule copy : saved) {
            for (AdapterAttachment target : placed) {
                String path = target.modulePath();
                if (path.equals(copy.path()) || path.startsWith(copy.path() + ".")
                        || copy.path().startsWith(path + ".")) {
                    throw new IllegalArgumentException("module '" + path + "' is an adapter target and "
                            + (path.equals(copy.path()) ? "" : "overlaps '" + copy.path() + "', ")
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
            for (AdapterAttachment attachment : attachments) {
                if (attachment instanceof ModulesToSaveLayer && attachment.adapterNames().contains(name)) {
                    saving.computeIfAbsent(name, n -> new ArrayList<>()).add(attachment.modulePath());
                }
            }
        }
        if (saving.size() > 1) {
            throw new IllegalArgumentException("adapters " + saving.keySet() + " each have their own trained copy of"
                    + " modules (modules_to_save: " + saving + "); as in PEFT, only one of them can be active at a"
                    + " time (per-row routing may still mix them)");
        }
    }

    void delete(String name) {
        if (mergeOrder.contains(name)) {
            unmerge(name);
        }
        for (AdapterAttachment attachment : new ArrayList<>(attachments)) {
            attachment.removeAdapter(name);
            if (attachment.adapterNames().isEmpty()) {
                attachment.uninstall();
                attachments.remove(attachment);
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
        List<String> unmergeable = new ArrayList<>();
        for (AdapterAttachment attachment : attachments) {
            if (attachment.adapterNames().contains(name) && !attachment.mergeable()
                    && !(attachment instanceof ModulesToSaveLayer)) {
                unmergeable.add(attachment.modulePath());
            }
        }
        if (!unmergeable.isEmpty()) {
            throw new IllegalStateException("adapter '" + name + "' (" + configs.get(name).architecture()
                    + ") has no merge into base weights at " + unmergeable + "; nothing was changed");
        }
        List<PendingMerge> pending = new ArrayList<>();
        try {
            for (AdapterAttachment attachment : attachments) {
                if (attachment.mergeable() && attachment.adapterNames().contains(name)) {
                    PendingMerge merge = attachment.prepareMerge(name);
                    pending.add(merge);
                    if (!merge.finite()) {
                        throw new IllegalStateException("merging adapter '" + name + "' would put NaN or Inf into the"
                                + " weight of '" + attachment.modulePath() + "'; no weight was changed");
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
        for (AdapterAttachment attachment : attachments) {
            List<String> merged = attachment.mergedAdapters();
            if (merged.contains(name) && !merged.get(merged.size() - 1).equals(name)) {
                throw new IllegalStateException("adapter '" + merged.get(merged.size() - 1) + "' was merged after '"
                        + name + "' into '" + attachment.modulePath() + "'; unmerge it first");
            }
        }
        for (AdapterAttachment attachment : attachments) {
            attachment.unmergeAdapter(name);
        }
        mergeOrder.remove(name);
    }

    void unmergeAll() {
        for (int i = mergeOrder.size() - 1; i >= 0; i--) {
            unmerge(mergeOrder.get(i));
        }
    }

    /**
     * Takes every attachment out of the model, leaving base weights as they are, and forgets all adapters.
     *
     * @param keepActiveCopies whether a module to save gets the active adapter's trained copy
     *     ({@code mergeAndUnload}) rather than its original block ({@code unload})
     */
    void unwrapAll(boolean keepActiveCopies) {
        for (AdapterAttachment attachment : new ArrayList<>(attachments)) {
            Block kept = null;
            if (keepActiveCopies && attachment instanceof ModulesToSaveLayer saved) {
                for (String name : activation.active()) {
                    kept = kept == null ? saved.detach(name) : kept;
                }
            }
            if (kept != null) {
                saved(attachment).uninstall(kept);
            } else {
                attachment.uninstall();
            }
            attachment.release();
            attachments.remove(attachment);
        }
        configs.clear();
        mergeOrder.clear();
        activation.setActive(List.of());
    }

    private static ModulesToSaveLayer saved(AdapterAttachment attachment) {
        return (ModulesToSaveLayer) attachment;
    }

    /** Every adapter parameter, by identity. */
    Set<Parameter> adapterParameters() {
        Set<Parameter> parameters = Collections.newSetFromMap(new IdentityHashMap<>());
        for (AdapterAttachment attachment : attachments) {
            for (String name : attachment.adapterNames()) {
                parameters.addAll(attachment.parameters(name));
            }
        }
        return parameters;
    }

    List<Parameter> parameters(String name) {
        Set<Parameter> parameters = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Parameter> ordered = new ArrayList<>();
        for (AdapterAttachment attachment : attachments) {
            for (Parameter parameter : attachment.parameters(name)) {
                if (parameters.add(parameter)) {
                    ordered.add(parameter);
                }
            }
        }
        return ordered;
    }

    /** Parameters of attachments that are not in the model's own block tree (hooks), by identity. */
    Set<Parameter> outsideModel(Iterable<Parameter> modelParameters) {
        Set<Parameter> inModel = Collections.newSetFromMap(new IdentityHashMap<>());
        modelParameters.forEach(inModel::add);
        Set<Parameter> outside = new LinkedHashSet<>();
        for (Parameter parameter : adapterParameters()) {
            if (!inModel.contains(parameter)) {
                outside.add(parameter);
            }
        }
        return outside;
    }
}

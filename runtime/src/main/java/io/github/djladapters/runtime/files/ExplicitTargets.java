package io.github.djladapters.runtime.files;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterMethods;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Rewrites an adapter's config so that PEFT can read where it goes: role-based targets (the adapters
 * library's {@code attn_matrices}, {@code intermediate_lora}, {@code leave_out}, ...) become an explicit
 * {@code target_modules}. The candidates are tried from the most PEFT-like (module names such as
 * {@code q_proj}) to the most exact (every module path, then an anchored regex), and the first that
 * selects exactly the modules holding the adapter in this model is kept. {@code modules_to_save} is
 * kept as the config has it.
 */
final class ExplicitTargets {

    private ExplicitTargets() {}

    /**
     * The config of one adapter with explicit targets.
     *
     * @param model the model holding the adapter
     * @param name the adapter
     * @return a config whose {@code target_modules} selects the adapter's modules in this model
     * @throws IllegalArgumentException for a config type that cannot be written for PEFT
     */
    static AdapterConfig of(AdapterModel<?> model, String name) {
        AdapterConfig config = model.adapterConfig(name);
        Set<String> paths = new TreeSet<>();
        Set<String> inputScaled = new TreeSet<>();
        for (AdapterLayer<?> layer : model.adapterLayers()) {
            if (layer.adapterNames().contains(name) && !(layer instanceof ModulesToSaveLayer)) {
                paths.add(layer.modulePath());
                Shape ia3 = layer.tensorShapes(name).get("ia3_l");
                if (ia3 != null && ia3.dimension() == 2 && ia3.get(0) == 1) {
                    inputScaled.add(layer.modulePath()); // [1, in]: IA3 on a feed-forward input
                }
            }
        }
        if (config instanceof LoRAConfig lora) {
            return lora(model, lora, paths);
        }
        if (config instanceof IA3Config ia3) {
            return ia3(model, ia3, paths, inputScaled);
        }
        throw new IllegalArgumentException("adapter '" + name + "' is a " + config.getClass().getSimpleName()
                + ", which cannot be saved in PEFT's layout yet");
    }

    private static LoRAConfig lora(AdapterModel<?> model, LoRAConfig config, Set<String> paths) {
        List<LoRAConfig> candidates = new ArrayList<>();
        LoRAConfig.Builder explicit = config.toBuilder().attnMatrices((List<String>) null).selfattnLora(true)
                .intermediateLora(false).outputLora(false).leaveOut(null);
        if (config.targetModules() != null && config.leaveOut().isEmpty()) {
            candidates.add(explicit.targetModules(sorted(config.targetModules())).build());
        }
        TargetModules leaves = new TargetModules(new ArrayList<>(leafNames(paths)), null);
        candidates.add(explicit.targetModules(leaves).layersToTransform(null).layersPattern(null).build());
        candidates.add(explicit.targetModules(leaves).layersToTransform(layers(model, config, paths)).build());
        candidates.add(explicit.targetModules(new TargetModules(new ArrayList<>(paths), null))
                .layersToTransform(null).build());
        candidates.add(explicit.targetModules(anchored(paths)).build());
        for (LoRAConfig candidate : candidates) {
            if (selects(model, candidate, paths)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no target_modules selects exactly " + paths);
    }

    private static IA3Config ia3(AdapterModel<?> model, IA3Config config, Set<String> paths, Set<String> inputScaled) {
        List<IA3Config> candidates = new ArrayList<>();
        boolean layerFree = config.layersToTransform() == null && config.leaveOut().isEmpty();
        if (config.targetModules() != null && layerFree) {
            candidates.add(ia3With(config, sorted(config.targetModules()),
                    config.feedforwardModules() == null ? null : sorted(config.feedforwardModules())));
        }
        candidates.add(ia3With(config, new TargetModules(new ArrayList<>(leafNames(paths)), null),
                inputScaled.isEmpty() ? null : new TargetModules(new ArrayList<>(leafNames(inputScaled)), null)));
        candidates.add(ia3With(config, new TargetModules(new ArrayList<>(paths), null),
                inputScaled.isEmpty() ? null : new TargetModules(new ArrayList<>(inputScaled), null)));
        candidates.add(ia3With(config, anchored(paths), inputScaled.isEmpty() ? null : anchored(inputScaled)));
        for (IA3Config candidate : candidates) {
            if (selects(model, candidate, paths) && inputScaledBy(candidate, paths).equals(inputScaled)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no target_modules selects exactly " + paths);
    }

    private static IA3Config ia3With(IA3Config config, TargetModules targets, TargetModules feedforward) {
        return new IA3Config(targets, feedforward, config.fanInFanOut(), config.initIa3Weights(),
                config.modulesToSave(), null, null, null, null, null);
    }

    private static Set<String> inputScaledBy(IA3Config config, Set<String> paths) {
        Set<String> scaled = new TreeSet<>();
        for (String path : paths) {
            if (config.feedforwardModules() != null && config.feedforwardModules().matches(path)) {
                scaled.add(path);
            }
        }
        return scaled;
    }

    /** Whether a candidate config, resolved in this model, selects exactly {@code paths}. */
    private static <C extends AdapterConfig> boolean selects(AdapterModel<?> model, C candidate, Set<String> paths) {
        Set<String> selected = new TreeSet<>();
        try {
            for (TargetModule target : AdapterMethods.forConfig(candidate).targets(candidate, model)) {
                selected.add(target.path());
            }
        } catch (IllegalArgumentException e) {
            return false; // selects nothing, or cannot resolve: try the next candidate
        }
        return selected.equals(paths);
    }

    private static Set<String> leafNames(Set<String> paths) {
        Set<String> names = new TreeSet<>();
        for (String path : paths) {
            names.add(path.substring(path.lastIndexOf('.') + 1));
        }
        return names;
    }

    private static List<Integer> layers(AdapterModel<?> model, LoRAConfig config, Set<String> paths) {
        Set<Integer> layers = new TreeSet<>();
        for (TargetModule target : AdapterMethods.forConfig(config).targets(config, model)) {
            if (paths.contains(target.path()) && target.layer() >= 0) {
                layers.add(target.layer());
            }
        }
        return new ArrayList<>(layers);
    }

    private static TargetModules sorted(TargetModules targets) {
        return targets.names() == null ? targets : new TargetModules(new ArrayList<>(new TreeSet<>(targets.names())),
                null);
    }

    /** A full-match regex of exactly these paths, escaped so that Python's {@code re} reads it the same. */
    private static TargetModules anchored(Set<String> paths) {
        List<String> escaped = new ArrayList<>();
        for (String path : paths) {
            StringBuilder quoted = new StringBuilder();
            for (char c : path.toCharArray()) {
                quoted.append(Character.isLetterOrDigit(c) || c == '_' ? "" : "\\").append(c);
            }
            escaped.add(quoted.toString());
        }
        return TargetModules.regex("(" + String.join("|", escaped) + ")");
    }
}

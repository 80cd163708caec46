package io.github.djladapters.runtime.methods.ia3;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.ExplicitTargets;
import io.github.djladapters.runtime.methods.TargetModules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** IA3 in PEFT's layout: {@code peft_type} {@code IA3}, PEFT 0.21's keys. */
final class IA3PeftFormat extends AbstractPeftFormat<IA3Config> {

    IA3PeftFormat() {
        super("IA3", """
                "exclude_modules": null, "fan_in_fan_out": false, "feedforward_modules": null,
                "init_ia3_weights": true, "modules_to_save": null, "target_modules": null""");
    }

    @Override
    public IA3Config configToSave(IA3Config config, BoundModel model, List<AdapterAttachment> attachments,
            String name) {
        Set<String> paths = ExplicitTargets.paths(attachments);
        Set<String> inputScaled = new TreeSet<>();
        for (AdapterAttachment attachment : attachments) {
            Shape ia3 = attachment.tensorShapes(name).get("ia3_l");
            if (ia3 != null && ia3.dimension() == 2 && ia3.get(0) == 1) {
                inputScaled.add(attachment.modulePath()); // [1, in]: IA3 on a feed-forward input
            }
        }
        List<IA3Config> candidates = new ArrayList<>();
        boolean layerFree = config.layersToTransform() == null && config.leaveOut().isEmpty();
        if (config.targetModules() != null && layerFree) {
            candidates.add(with(config, ExplicitTargets.sorted(config.targetModules()),
                    config.feedforwardModules() == null ? null : ExplicitTargets.sorted(config.feedforwardModules())));
        }
        candidates.add(with(config, names(ExplicitTargets.leafNames(paths)),
                inputScaled.isEmpty() ? null : names(ExplicitTargets.leafNames(inputScaled))));
        candidates.add(with(config, names(paths), inputScaled.isEmpty() ? null : names(inputScaled)));
        candidates.add(with(config, ExplicitTargets.anchored(paths),
                inputScaled.isEmpty() ? null : ExplicitTargets.anchored(inputScaled)));
        for (IA3Config candidate : candidates) {
            if (ExplicitTargets.selects(model, candidate, paths) && inputScaledBy(candidate, paths).equals(inputScaled)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no target_modules selects exactly " + paths);
    }

    private static TargetModules names(Set<String> names) {
        return new TargetModules(new ArrayList<>(names), null);
    }

    private static IA3Config with(IA3Config config, TargetModules targets, TargetModules feedforward) {
        return IA3Config.builder().targetModules(targets).feedforwardModules(feedforward)
                .fanInFanOut(config.fanInFanOut()).initIa3Weights(config.initIa3Weights())
                .modulesToSave(config.modulesToSave()).build();
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
}

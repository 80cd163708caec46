package io.github.djladapters.runtime.methods.lora;

import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.ExplicitTargets;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.methods.TargetModules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** LoRA (and DoRA) in PEFT's layout: {@code peft_type} {@code LORA}, PEFT 0.21's keys. */
final class LoRAPeftFormat extends AbstractPeftFormat<LoRAConfig> {

    LoRAPeftFormat() {
        super("LORA", """
                "alora_invocation_tokens": null, "alpha_pattern": {}, "arrow_config": null, "bias": "none",
                "corda_config": null, "ensure_weight_tying": false, "eva_config": null, "exclude_modules": null,
                "fan_in_fan_out": false, "init_lora_weights": true, "kasa_config": null,
                "layer_replication": null, "layers_pattern": null, "layers_to_transform": null,
                "loftq_config": {}, "lora_alpha": 8, "lora_bias": false, "lora_dropout": 0.0,
                "lora_ga_config": null, "megatron_config": null, "megatron_core": "megatron.core",
                "modules_to_save": null, "monteclora_config": null, "qalora_group_size": 16, "r": 8,
                "rank_pattern": {}, "target_modules": null, "target_parameters": null,
                "trainable_token_indices": null, "use_bdlora": null, "use_dora": false, "use_qalora": false,
                "use_rslora": false, "velora_config": null""");
    }

    @Override
    public Set<String> informationalKeys() {
        // settings of training-time integrations and initialisers (the weights come from the file)
        return Set.of("megatron_core", "qalora_group_size", "ensure_weight_tying", "loftq_config", "eva_config",
                "corda_config", "lora_ga_config");
    }

    @Override
    public LoRAConfig configToSave(LoRAConfig config, BoundModel model, List<AdapterAttachment> attachments,
            String name) {
        if (config.useGating()) {
            throw new IllegalArgumentException("adapter '" + name + "' uses gating (use_gating), which PEFT's"
                    + " format cannot express; nothing was written");
        }
        Set<String> paths = ExplicitTargets.paths(attachments);
        List<LoRAConfig> candidates = new ArrayList<>();
        LoRAConfig.Builder explicit = config.toBuilder().defaultRoles();
        if (config.targetModules() != null && config.leaveOut().isEmpty()) {
            candidates.add(explicit.targetModules(ExplicitTargets.sorted(config.targetModules())).build());
        }
        TargetModules leaves = new TargetModules(new ArrayList<>(ExplicitTargets.leafNames(paths)), null);
        candidates.add(explicit.targetModules(leaves).layersToTransform(null).layersPattern(null).build());
        candidates.add(explicit.targetModules(leaves).layersToTransform(layers(model, config, paths)).build());
        candidates.add(explicit.targetModules(new TargetModules(new ArrayList<>(paths), null))
                .layersToTransform(null).build());
        candidates.add(explicit.targetModules(ExplicitTargets.anchored(paths)).build());
        for (LoRAConfig candidate : candidates) {
            if (ExplicitTargets.selects(model, candidate, paths)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no target_modules selects exactly " + paths);
    }

    private static List<Integer> layers(BoundModel model, LoRAConfig config, Set<String> paths) {
        Set<Integer> layers = new TreeSet<>();
        for (TargetModule target : new LoRAMethod().targets(config, model)) {
            if (paths.contains(target.path()) && target.layer() >= 0) {
                layers.add(target.layer());
            }
        }
        return new ArrayList<>(layers);
    }
}

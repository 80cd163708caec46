package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;

/**
 * The keys PEFT 0.21 writes in {@code adapter_config.json} for each {@code peft_type}, with the
 * values it writes when a feature is unused. Saving writes exactly these keys; reading knows them,
 * ignores the informational ones and refuses a non-default value for a feature not supported here.
 */
final class PeftConfigKeys {

    /** The PEFT release whose key set and layout saved files follow. */
    static final String PEFT_FORMAT_VERSION = "0.21.0";

    /** Keys of every PEFT config that describe the file, not the adapter's math. */
    static final Set<String> INFORMATIONAL = Set.of("auto_mapping", "base_model_name_or_path", "inference_mode",
            "peft_version", "revision", "task_type",
            // LoRA: settings of training-time integrations and initialisers (the weights come from the file)
            "megatron_core", "qalora_group_size", "ensure_weight_tying", "loftq_config", "eva_config", "corda_config",
            "lora_ga_config");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** PeftConfig's own fields; {@code peft_version} is filled in when saving. */
    private static final String BASE = """
            "auto_mapping": null, "base_model_name_or_path": null, "inference_mode": true, "peft_version": null,
            "revision": null, "task_type": null""";

    private static final Map<String, ObjectNode> DEFAULTS = Map.of(
            "LORA", parse("""
                    {%s, "peft_type": "LORA",
                     "alora_invocation_tokens": null, "alpha_pattern": {}, "arrow_config": null, "bias": "none",
                     "corda_config": null, "ensure_weight_tying": false, "eva_config": null, "exclude_modules": null,
                     "fan_in_fan_out": false, "init_lora_weights": true, "kasa_config": null,
                     "layer_replication": null, "layers_pattern": null, "layers_to_transform": null,
                     "loftq_config": {}, "lora_alpha": 8, "lora_bias": false, "lora_dropout": 0.0,
                     "lora_ga_config": null, "megatron_config": null, "megatron_core": "megatron.core",
                     "modules_to_save": null, "monteclora_config": null, "qalora_group_size": 16, "r": 8,
                     "rank_pattern": {}, "target_modules": null, "target_parameters": null,
                     "trainable_token_indices": null, "use_bdlora": null, "use_dora": false, "use_qalora": false,
                     "use_rslora": false, "velora_config": null}""".formatted(BASE)),
            "IA3", parse("""
                    {%s, "peft_type": "IA3",
                     "exclude_modules": null, "fan_in_fan_out": false, "feedforward_modules": null,
                     "init_ia3_weights": true, "modules_to_save": null, "target_modules": null}""".formatted(BASE)));

    private PeftConfigKeys() {}

    /**
     * PEFT's keys for one type with the values it writes for unused features.
     *
     * @param peftType for example {@code LORA}
     * @return a fresh copy, or null when the type has no known key set
     */
    static ObjectNode defaults(String peftType) {
        ObjectNode defaults = DEFAULTS.get(peftType);
        return defaults == null ? null : defaults.deepCopy();
    }

    private static ObjectNode parse(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return (ObjectNode) node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.github.djladapters.runtime.methods.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.methods.ConfigJson;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Adapters library's saved LoRA: {@code "config"} holds {@code "architecture": "lora", "r",
 * "alpha", "dropout", "attn_matrices", "selfattn_lora", "intermediate_lora", "output_lora",
 * "leave_out", ...}; the weights file holds {@code <module path>.loras.<name>.lora_A} ({@code [r, in]})
 * and {@code .lora_B} ({@code [out, r]}), with the model's own prefix ({@code bert.}) when it was saved
 * from a model with a head. Read into a {@link LoRAConfig} by role, with PEFT's tensor keys.
 */
final class LoRAAdaptersLibraryFormat implements AdaptersLibraryFormat<LoRAConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(LoRAAdaptersLibraryFormat.class);
    private static final Pattern LORA_KEY = Pattern.compile("(.+)\\.loras\\.([^.]+)\\.(lora_A|lora_B)");
    private static final Set<String> LORA_KEYS = Set.of("architecture", "selfattn_lora", "intermediate_lora",
            "output_lora", "leave_out", "r", "alpha", "dropout", "attn_matrices", "composition_mode", "init_weights",
            "use_gating", "vera_d", "vera_b", "dtype");

    @Override
    public boolean reads(ObjectNode config) {
        return config.path("architecture").asText("").equals("lora");
    }

    @Override
    public Parsed<LoRAConfig> read(Path file, ObjectNode root, ObjectNode config) throws CheckpointException {
        config = config.deepCopy();
        if (!config.path("composition_mode").asText("add").equals("add")) {
            throw new CheckpointException(file + ": key 'config.composition_mode' is "
                    + config.get("composition_mode") + "; only \"add\" (LoRA) is supported, not (IA)^3's \"scale\"");
        }
        for (String unsupported : List.of("use_gating", "vera_d", "vera_b")) {
            JsonNode value = config.path(unsupported);
            if (!value.isMissingNode() && !value.isNull() && !(value.isBoolean() && !value.booleanValue())) {
                throw new CheckpointException(file + ": key 'config." + unsupported + "' is " + value
                        + ", which is not supported here");
            }
        }
        fixOldAlpha(file, root, config);
        ObjectNode lora = config.objectNode();
        copy(config, "r", lora, "r");
        copy(config, "alpha", lora, "lora_alpha");
        copy(config, "dropout", lora, "lora_dropout");
        for (String role : List.of("attn_matrices", "selfattn_lora", "intermediate_lora", "output_lora", "leave_out")) {
            copy(config, role, lora, role);
        }
        LoRAConfig parsed = ConfigJson.bind(file, lora, LoRAConfig.class);
        List<String> unknown = new ArrayList<>();
        config.fieldNames().forEachRemaining(k -> {
            if (!LORA_KEYS.contains(k)) {
                unknown.add("config." + k);
            }
        });
        return new Parsed<>(parsed, unknown);
    }

    /** Versions before 1.1.0 scaled by 1 whatever alpha said; the library itself loads them with alpha = r. */
    private static void fixOldAlpha(Path file, ObjectNode root, ObjectNode config) {
        String version = root.path("version").asText("");
        if (version.startsWith("adapters.") && olderThan(version.substring("adapters.".length()), 1, 1)
                && config.path("r").asInt() != config.path("alpha").asInt()) {
            LOG.warn("{}: saved by adapters {} (before 1.1.0), which ignored alpha; loading with alpha = r = {}",
                    file, version, config.path("r").asInt());
            config.put("alpha", config.path("r").asInt());
        }
    }

    private static boolean olderThan(String version, int major, int minor) {
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+).*").matcher(version);
        if (!m.matches()) {
            return false;
        }
        int vMajor = Integer.parseInt(m.group(1));
        return vMajor < major || vMajor == major && Integer.parseInt(m.group(2)) < minor;
    }

    private static void copy(ObjectNode from, String key, ObjectNode to, String as) {
        if (from.has(key)) {
            to.set(as, from.get(key));
        }
    }

    /**
     * {@code X.loras.<name>.lora_A} becomes {@code base_model.model.X.lora_A.weight}, leading parts of X
     * dropped until it names one of the expected keys (a head model's {@code bert.} prefix).
     */
    @Override
    public Map<String, String> internalKeys(Set<String> keys, String savedName, Set<String> expected) {
        return AdaptersLibraryFormat.renameKeys(keys, expected, key -> {
            Matcher m = LORA_KEY.matcher(key);
            return m.matches() && (savedName == null || savedName.equals(m.group(2)))
                    ? new SavedKey(m.group(1), "." + m.group(3) + ".weight") : null;
        });
    }
}

package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adapters library's (AdapterHub's) saved LoRA: {@code adapter_config.json} holds
 * {@code {"config": {"architecture": "lora", "r", "alpha", "dropout", "attn_matrices",
 * "selfattn_lora", "intermediate_lora", "output_lora", "leave_out", ...}, "name", "model_name",
 * "version", ...}} and {@code adapter.safetensors} holds the model's state-dict keys
 * {@code <module path>.loras.<name>.lora_A} ({@code [r, in]}) and {@code .lora_B} ({@code [out, r]}),
 * with the model's own prefix ({@code bert.}) when it was saved from a model with a head. Read into
 * a {@link LoRAConfig} by role and PEFT's tensor keys.
 */
final class AdaptersLibraryLayout {

    /** The adapters library's weights file. */
    static final String WEIGHTS_FILE = "adapter.safetensors";

    private static final Logger LOG = LoggerFactory.getLogger(AdaptersLibraryLayout.class);
    private static final Pattern LORA_KEY = Pattern.compile("(.+)\\.loras\\.([^.]+)\\.(lora_A|lora_B)");
    private static final Set<String> TOP_LEVEL = Set.of("config", "hidden_size", "model_class", "model_name",
            "model_type", "name", "version");
    private static final Set<String> LORA_KEYS = Set.of("architecture", "selfattn_lora", "intermediate_lora",
            "output_lora", "leave_out", "r", "alpha", "dropout", "attn_matrices", "composition_mode", "init_weights",
            "use_gating", "vera_d", "vera_b", "dtype");

    private AdaptersLibraryLayout() {}

    static AdapterConfigFile readConfig(Path file, ObjectNode root) throws CheckpointException {
        ObjectNode config = (ObjectNode) root.get("config").deepCopy();
        String architecture = config.path("architecture").asText("");
        if (!architecture.equals("lora")) {
            throw new CheckpointException(file + ": key 'config.architecture' is '" + architecture
                    + "'; only the adapters library's LoRA (\"lora\") loads here");
        }
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
        LoRAConfig parsed = AdapterConfigFile.bind(file, lora, LoRAConfig.class);
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!TOP_LEVEL.contains(k)) {
                unknown.add(k);
            }
        });
        config.fieldNames().forEachRemaining(k -> {
            if (!LORA_KEYS.contains(k)) {
                unknown.add("config." + k);
            }
        });
        String name = root.path("name").isTextual() ? root.get("name").asText() : null;
        return new AdapterConfigFile(file, parsed, AdapterConfigFile.Layout.ADAPTERS_LIBRARY, name,
                unknown.stream().sorted().toList());
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
     * The weights file: the adapters library's {@code adapter.safetensors}, else PEFT's name.
     *
     * @param dir the adapter directory
     * @return the file, which may not exist
     */
    static Path weightsFile(Path dir) {
        Path own = dir.resolve(WEIGHTS_FILE);
        return Files.exists(own) ? own : dir.resolve(PeftAdapterFiles.WEIGHTS_FILE);
    }

    /**
     * Renames the adapters library's state-dict keys to PEFT's: {@code X.loras.<name>.lora_A} becomes
     * {@code base_model.model.X.lora_A.weight}, leading parts of X dropped until it names one of the
     * expected keys (a head model's {@code bert.} prefix). Keys that fit nothing are kept as they are,
     * so that the load reports them as unexpected.
     *
     * @param keys the file's keys
     * @param savedName the adapter name in the file, or null for any
     * @param expected PEFT's keys of the adapter as added to the model
     * @return file key to PEFT key, in file order
     */
    static Map<String, String> peftKeys(Set<String> keys, String savedName, Set<String> expected) {
        Map<String, String> renamed = new LinkedHashMap<>();
        for (String key : keys) {
            Matcher m = LORA_KEY.matcher(key);
            String target = key;
            if (m.matches() && (savedName == null || savedName.equals(m.group(2)))) {
                String path = m.group(1);
                String suffix = "." + m.group(3) + ".weight";
                target = PeftAdapterFiles.KEY_PREFIX + path + suffix;
                while (!expected.contains(target) && path.contains(".")) {
                    path = path.substring(path.indexOf('.') + 1);
                    target = PeftAdapterFiles.KEY_PREFIX + path + suffix;
                }
                target = expected.contains(target) ? target : key;
            }
            renamed.put(key, target);
        }
        return renamed;
    }
}

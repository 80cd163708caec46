package io.github.djladapters.runtime.methods.bottleneck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

/**
 * Bottleneck adapters in the Adapters library's layout. {@code "config"} is its {@code BnConfig}
 * as {@code dataclasses.asdict} writes it ({@code architecture} null); features not supported here
 * ({@code use_gating}, {@code phm_layer}, {@code cross_adapter}, {@code init_weights_seed}) must have
 * their off values. Tensor keys are the model's state-dict keys
 * {@code <location>.adapters.<name>.adapter_down.0.weight} and so on (see {@link BottleneckLayer} for
 * the location), and for an invertible adapter the base model's
 * {@code invertible_adapters.<name>.F.0.weight} (see {@link InvertibleAdapterLayer}), with a head
 * model's prefix ({@code bert.}) dropped when reading.
 */
final class BottleneckLibraryFormat implements AdaptersLibraryFormat<BnConfig> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern FILE_KEY = Pattern.compile("(.+)\\.adapters\\.([^.]+)\\.((?:adapter_\\w+)(?:\\.\\w+)*|scaling)");
    private static final Pattern OWN_KEY = Pattern.compile(Pattern.quote(INTERNAL_PREFIX)
            + "(.+?)\\.((?:adapter_(?:down|up|norm_before|norm_after))(?:\\.\\w+)*|scaling)");

    /** Keys that must have their off value, with it. */
    private static final Pattern INV_FILE_KEY = Pattern.compile("(?:(.+)\\.)?" + InvertibleAdapterLayer.MODULE
            + "\\.([^.]+)\\.(" + InvertibleAdapterLayer.TENSOR_NAME + ")");
    private static final Pattern INV_OWN_KEY = Pattern.compile(Pattern.quote(INTERNAL_PREFIX) + "((?:.+\\.)?"
            + InvertibleAdapterLayer.MODULE + ")\\.(" + InvertibleAdapterLayer.TENSOR_NAME + ")");

    private static final Map<String, JsonNode> OFF = Map.of(
            "use_gating", JSON.getNodeFactory().booleanNode(false),
            "phm_layer", JSON.getNodeFactory().booleanNode(false),
            "cross_adapter", JSON.getNodeFactory().booleanNode(false),
            "init_weights_seed", JSON.getNodeFactory().nullNode());

    /** Keys that only matter for features that are off (PHM layers), with the library's defaults. */
    private static final String INACTIVE = """
            {"phm_dim": 4, "factorized_phm_W": true, "shared_W_phm": false,
             "shared_phm_rule": true, "factorized_phm_rule": false, "phm_c_init": "normal", "phm_init_range": 0.0001,
             "learn_phm": true, "hypercomplex_nonlinearity": "glorot-uniform", "phm_rank": 1, "phm_bias": true}""";

    @Override
    public boolean reads(ObjectNode config) {
        JsonNode architecture = config.path("architecture");
        boolean bottleneck = architecture.isMissingNode() || architecture.isNull()
                || architecture.asText().equals("bottleneck");
        return bottleneck && config.has("reduction_factor");
    }

    @Override
    public Parsed<BnConfig> read(Path file, ObjectNode root, ObjectNode config) throws CheckpointException {
        ObjectNode own = config.deepCopy();
        own.remove("architecture");
        for (Map.Entry<String, JsonNode> off : OFF.entrySet()) {
            JsonNode value = own.remove(off.getKey());
            if (value != null && !value.equals(off.getValue()) && !(value.isNull() && off.getValue().isBoolean())) {
                throw new CheckpointException(file + ": key 'config." + off.getKey() + "' is " + value
                        + ", which is not supported here (supported: " + off.getValue() + ")");
            }
        }
        inactive().fieldNames().forEachRemaining(own::remove);
        List<String> unknown = new ArrayList<>();
        Set<String> known = recordKeys();
        for (String key : (Iterable<String>) own::fieldNames) {
            if (!known.contains(key)) {
                unknown.add("config." + key);
            }
        }
        unknown.forEach(k -> own.remove(k.substring("config.".length())));
        JsonNode activation = own.get("non_linearity");
        if (activation != null && activation.isTextual() && !root.has("version")) {
            // files without a version (old adapter-transformers) named the tanh GELU "gelu"; the library renames on load
            String renamed = switch (activation.asText()) {
                case "gelu" -> "gelu_new";
                case "gelu_orig" -> "gelu";
                default -> activation.asText();
            };
            own.put("non_linearity", renamed);
        }
        for (String key : BnConfig.REQUIRED_KEYS) {
            if (own.path(key).isMissingNode() || own.path(key).isNull()) {
                throw new CheckpointException(file + ": key 'config." + key + "' is required");
            }
        }
        return new Parsed<>(ConfigJson.bind(file, own, BnConfig.class), unknown);
    }

    private static Set<String> recordKeys() {
        Set<String> keys = new java.util.HashSet<>();
        JSON.valueToTree(SeqBnConfig.create()).fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static ObjectNode inactive() {
        try {
            return (ObjectNode) JSON.readTree(INACTIVE);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean writes() {
        return true;
    }

    @Override
    public ObjectNode writeConfig(BnConfig config) {
        ObjectNode out = JSON.createObjectNode();
        out.putNull("architecture");
        ObjectNode own = JSON.valueToTree(config);
        own.properties().forEach(e -> out.set(e.getKey(), e.getValue()));
        OFF.forEach(out::set);
        inactive().properties().forEach(e -> out.set(e.getKey(), e.getValue()));
        return out;
    }

    @Override
    public String fileKey(String key, String name) {
        Matcher inv = INV_OWN_KEY.matcher(key);
        if (inv.matches()) {
            return inv.group(1) + "." + name + "." + inv.group(2);
        }
        Matcher m = OWN_KEY.matcher(key);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + key + "' is not a bottleneck adapter key");
        }
        return m.group(1) + ".adapters." + name + "." + m.group(2);
    }

    @Override
    public Map<String, String> internalKeys(Set<String> fileKeys, String savedName, Set<String> expected) {
        return AdaptersLibraryFormat.renameKeys(fileKeys, expected, key -> {
            Matcher inv = INV_FILE_KEY.matcher(key);
            if (inv.matches()) {
                if (savedName != null && !savedName.equals(inv.group(2))) {
                    return null;
                }
                // one coupling per adapter: whatever base-model prefix the file has (none, bert., transformer.,
                // model., or this project's older files without one), it is this adapter's coupling
                String module = expected.stream().map(INV_OWN_KEY::matcher).filter(Matcher::matches)
                        .map(own -> own.group(1)).findFirst().orElse(InvertibleAdapterLayer.MODULE);
                return new SavedKey(module, "." + inv.group(3));
            }
            Matcher m = FILE_KEY.matcher(key);
            return m.matches() && (savedName == null || savedName.equals(m.group(2)))
                    ? new SavedKey(m.group(1), "." + m.group(3)) : null;
        });
    }
}

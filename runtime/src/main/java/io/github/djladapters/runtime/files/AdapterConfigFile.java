package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.ConfigJson;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A parsed {@code adapter_config.json}, in PEFT's layout ({@code peft_type} picks the method from
 * {@link MethodRegistry}) or in the adapters library's ({@code {"config": {"architecture": "lora",
 * ...}, "name": ...}}, see {@link AdaptersLibraryLayout}). Keys this version does not know are
 * ignored with one warning (newer PEFT versions add keys); a known PEFT key set to a feature not
 * supported here is an error, so an adapter never loads with different math.
 *
 * <pre>{@code
 * AdapterConfigFile file = AdapterConfigFile.read(dir.resolve("adapter_config.json"));
 * LoRAConfig lora = (LoRAConfig) file.config();
 * }</pre>
 *
 * @param file the file read
 * @param config the adapter config it describes
 * @param layout whose layout the file follows
 * @param savedName the adapter's name stored in the file (the adapters library's {@code name}), or null
 * @param unknownKeys keys that were ignored, sorted
 */
public record AdapterConfigFile(Path file, AdapterConfig config, Layout layout, String savedName,
        List<String> unknownKeys) {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterConfigFile.class);
    /** {@code "r": 2.5} is an error, not r = 2. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);

    /** The libraries whose config layout is read. */
    public enum Layout {
        /** Hugging Face PEFT: flat keys with {@code peft_type}. */
        PEFT,
        /** The adapters library (AdapterHub): the method's keys under {@code config}. */
        ADAPTERS_LIBRARY
    }

    /** Copies the key list. */
    public AdapterConfigFile {
        unknownKeys = List.copyOf(unknownKeys);
    }

    /**
     * Reads and checks a config file; logs one warning when it has keys this version does not know.
     *
     * @param file an {@code adapter_config.json}
     * @return the parsed file
     * @throws CheckpointException naming the file and the key when it is missing, not JSON, names an
     *     unknown {@code peft_type} or an unsupported feature, or has a value of the wrong type
     * @throws IOException when the file cannot be read
     */
    public static AdapterConfigFile read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(SmallFiles.read(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no adapter config here (expected " + file.getFileName() + ")", e);
        } catch (JacksonException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": not a JSON object");
        }
        AdapterConfigFile parsed = !root.has("peft_type") && root.path("config").isObject()
                ? AdaptersLibraryLayout.readConfig(file, (ObjectNode) root)
                : readPeft(file, (ObjectNode) root);
        if (!parsed.unknownKeys().isEmpty()) {
            LOG.warn("{}: ignoring keys this version does not know (written by a newer library?): {}", file,
                    parsed.unknownKeys());
        }
        return parsed;
    }

    private static AdapterConfigFile readPeft(Path file, ObjectNode root) throws CheckpointException {
        JsonNode type = root.get("peft_type");
        if (type == null || !type.isTextual()) {
            throw new CheckpointException(file + ": key 'peft_type' is " + (type == null ? "missing" : type)
                    + "; expected one of " + MethodRegistry.peftTypes());
        }
        MethodProvider<?> method = MethodRegistry.forPeftType(type.asText()).orElseThrow(() ->
                new CheckpointException(file + ": key 'peft_type' is '" + type.asText()
                        + "', which no adapter method here reads; known: " + MethodRegistry.peftTypes()));
        AdapterConfig config = bind(file, root, method.configType());
        Set<String> own = new TreeSet<>();
        JSON.valueToTree(config).fieldNames().forEachRemaining(own::add);
        JsonNode targets = root.get("target_modules");
        if (binds(method.configType(), "target_modules") && (targets == null || targets.isNull())) {
            // PEFT fills target_modules from the model type before saving (for GPT-2 the whole c_attn, for BERT
            // query and value), so a guess here could silently adapt other modules than PEFT would.
            throw new CheckpointException(file + ": key 'target_modules' is missing; PEFT's default depends on"
                    + " the model type (GPT-2: the whole c_attn; BERT: query, value; Llama: q_proj, v_proj), so name"
                    + " the modules explicitly");
        }
        ObjectNode peft = PeftConfigKeys.defaults(type.asText());
        Set<String> informational = PeftConfigKeys.informational(type.asText());
        List<String> unknown = new ArrayList<>();
        for (String key : (Iterable<String>) root::fieldNames) {
            if (own.contains(key) || informational.contains(key)) {
                continue;
            }
            if (peft == null || !peft.has(key)) {
                unknown.add(key);
            } else if (!isDefault(root.get(key), peft.get(key))) {
                throw new CheckpointException(file + ": key '" + key + "' is " + root.get(key)
                        + ", a PEFT feature not supported here (supported: " + peft.get(key) + ")");
            }
        }
        return new AdapterConfigFile(file, config, Layout.PEFT, null, unknown.stream().sorted().toList());
    }

    /** Whether a config record reads a JSON key (prompt learning methods have no {@code target_modules}). */
    private static boolean binds(Class<?> type, String key) {
        if (!type.isRecord()) {
            return true;
        }
        for (java.lang.reflect.RecordComponent component : type.getRecordComponents()) {
            com.fasterxml.jackson.annotation.JsonProperty property =
                    component.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            if (property != null && property.value().equals(key)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a value means "feature unused": PEFT's default, or null / empty where the default is. */
    private static boolean isDefault(JsonNode value, JsonNode peftDefault) {
        if (value.equals(peftDefault) || value.isNull()) {
            return true;
        }
        boolean unset = (value.isObject() || value.isArray()) && value.isEmpty()
                || value.isBoolean() && !value.booleanValue();
        return unset && (peftDefault.isNull() || peftDefault.isEmpty() || !peftDefault.asBoolean(true));
    }

    /**
     * Binds a JSON object to a config record, naming the offending key on failure.
     *
     * @param file for messages
     * @param node the object
     * @param type the config record
     * @param <C> its type
     * @return the config
     * @throws CheckpointException naming the file and the key
     */
    static <C extends AdapterConfig> C bind(Path file, JsonNode node, Class<C> type) throws CheckpointException {
        return ConfigJson.bind(file, node, type);
    }
}

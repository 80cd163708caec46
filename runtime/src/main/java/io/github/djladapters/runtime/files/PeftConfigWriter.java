package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdapterConfig;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes an adapter config as PEFT's {@code adapter_config.json}: exactly PEFT's keys for its
 * {@code peft_type} (see {@link PeftConfigKeys}), the config's values where it has them and PEFT's
 * values for unused features elsewhere, nothing of the adapters library, sorted and indented as
 * Python's {@code json.dumps(indent=2, sort_keys=True)}.
 */
final class PeftConfigWriter {

    /** What {@code peft_version} says: the PEFT release whose format this follows, then this library. */
    static final String PEFT_VERSION = PeftConfigKeys.PEFT_FORMAT_VERSION + "@djl-adapters-0.1.0";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftConfigWriter() {}

    /**
     * The JSON tree of a config.
     *
     * @param config a config as the method's {@code PeftFormat.configToSave} gives it
     * @param baseModelNameOrPath {@code base_model_name_or_path}, or null
     * @return PEFT's keys and values
     * @throws IllegalArgumentException for a {@code peft_type} without a known key set
     */
    static ObjectNode tree(AdapterConfig config, String baseModelNameOrPath) {
        ObjectNode peft = PeftConfigKeys.defaults(config.peftType());
        if (peft == null) {
            throw new IllegalArgumentException("peft_type " + config.peftType() + " has no PEFT key set here");
        }
        ObjectNode own = JSON.valueToTree(config);
        for (Map.Entry<String, JsonNode> field : own.properties()) {
            if (peft.has(field.getKey())) {
                peft.set(field.getKey(), field.getValue());
            } // else an adapters-library key (attn_matrices, leave_out, ...), already turned into target_modules
        }
        peft.put("base_model_name_or_path", baseModelNameOrPath);
        peft.put("peft_version", PEFT_VERSION);
        peft.put("inference_mode", true); // PEFT's save_pretrained writes true, whatever the mode while training
        return peft;
    }

    /**
     * The file's bytes.
     *
     * @param config a config with explicit targets
     * @param baseModelNameOrPath {@code base_model_name_or_path}, or null
     * @return UTF-8 JSON
     */
    static byte[] bytes(AdapterConfig config, String baseModelNameOrPath) {
        return PythonJson.write(tree(config, baseModelNameOrPath)).getBytes(StandardCharsets.UTF_8);
    }
}

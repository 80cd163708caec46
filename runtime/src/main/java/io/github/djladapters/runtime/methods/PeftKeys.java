package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * Builds a {@link PeftFormat#keys()} tree: PeftConfig's own keys (as PEFT 0.21 writes them) plus a
 * method's keys.
 */
public final class PeftKeys {

    /** The PEFT release whose key sets saved files follow. */
    public static final String PEFT_FORMAT_VERSION = "0.21.0";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** PeftConfig's own fields; {@code peft_version} is filled in when saving. */
    private static final String BASE = """
            "auto_mapping": null, "base_model_name_or_path": null, "inference_mode": true, "peft_version": null,
            "revision": null, "task_type": null""";

    private PeftKeys() {}

    /**
     * PEFT's key set for one type.
     *
     * @param peftType for example {@code LORA}
     * @param methodKeys the method's own keys and their unused values, as the inside of a JSON
     *     object: {@code "r": 8, "target_modules": null}
     * @return a fresh tree with PeftConfig's keys, {@code peft_type} and the method's keys
     */
    public static ObjectNode of(String peftType, String methodKeys) {
        try {
            return (ObjectNode) JSON.readTree("{" + BASE + ", \"peft_type\": \"" + peftType + "\", " + methodKeys + "}");
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

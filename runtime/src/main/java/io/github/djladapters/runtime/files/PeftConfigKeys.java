package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.PeftKeys;
import java.util.HashSet;
import java.util.Set;

/**
 * The keys PEFT writes in {@code adapter_config.json} for a {@code peft_type}, as the method's
 * {@link PeftFormat} gives them. Saving writes exactly these keys; reading knows them, ignores the
 * informational ones and refuses a non-default value for a feature not supported here.
 */
final class PeftConfigKeys {

    /** The PEFT release whose key set and layout saved files follow. */
    static final String PEFT_FORMAT_VERSION = PeftKeys.PEFT_FORMAT_VERSION;

    /** Keys of every PEFT config that describe the file, not the adapter's math. */
    private static final Set<String> INFORMATIONAL = Set.of("auto_mapping", "base_model_name_or_path",
            "inference_mode", "peft_version", "revision", "task_type");

    private PeftConfigKeys() {}

    /**
     * PEFT's keys for one type with the values it writes for unused features.
     *
     * @param peftType for example {@code LORA}
     * @return a fresh copy, or null when no method has that type
     */
    static ObjectNode defaults(String peftType) {
        return format(peftType) == null ? null : format(peftType).keys();
    }

    /**
     * The keys ignored when read: PeftConfig's informational keys and the method's.
     *
     * @param peftType for example {@code LORA}
     * @return the keys
     */
    static Set<String> informational(String peftType) {
        Set<String> keys = new HashSet<>(INFORMATIONAL);
        PeftFormat<?> format = format(peftType);
        if (format != null) {
            keys.addAll(format.informationalKeys());
        }
        return keys;
    }

    private static PeftFormat<?> format(String peftType) {
        return MethodRegistry.forPeftType(peftType).flatMap(m -> m.peftFormat()).orElse(null);
    }
}

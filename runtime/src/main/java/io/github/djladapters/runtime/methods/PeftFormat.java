package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;

/**
 * How a method appears in PEFT's folder layout: its {@code peft_type}, the keys PEFT writes in
 * {@code adapter_config.json} for it (the config record binds the ones it supports, by its Jackson
 * names), and the config to write for a given adapter. Tensor keys are
 * {@code base_model.model.<module path>.<suffix>} with the suffixes of
 * {@link AdapterAttachment#exportTensors}, unless {@link #fileKey}/{@link #internalKey} map them
 * (PEFT's prompt learning methods store a bare {@code prompt_embeddings}).
 *
 * @param <C> the config record
 */
public interface PeftFormat<C extends AdapterConfig> {

    /**
     * PEFT's {@code peft_type}, which picks this method when a file is read.
     *
     * @return for example {@code LORA}
     */
    String peftType();

    /**
     * Every key PEFT writes for this type (PeftConfig's own keys included), with the value it writes
     * when a feature is unused. Saving writes exactly these keys; reading refuses a non-default value
     * for a key the config record does not bind.
     *
     * @return a fresh tree
     */
    ObjectNode keys();

    /**
     * Keys that describe training integrations or initialisers, not the saved adapter's math, and
     * are ignored when read.
     *
     * @return key names
     */
    default Set<String> informationalKeys() {
        return Set.of();
    }

    /**
     * The config to write for one adapter: with targets PEFT can resolve (role-based selections made
     * explicit) that select exactly the modules holding the adapter in this model.
     *
     * @param config the adapter's config
     * @param model the bound model
     * @param attachments the attachments holding the adapter (no {@code modules_to_save} copies)
     * @param name the adapter name
     * @return the config to write
     * @throws IllegalArgumentException when the config uses something PEFT's format cannot express
     */
    C configToSave(C config, BoundModel model, List<AdapterAttachment> attachments, String name);

    /**
     * The key PEFT's {@code adapter_model.safetensors} uses for one of this project's keys.
     *
     * @param key {@code base_model.model.<module path>.<suffix>}
     * @return the file's key; by default the same
     */
    default String fileKey(String key) {
        return key;
    }

    /**
     * This project's key for a key of PEFT's file, the inverse of {@link #fileKey}.
     *
     * @param fileKey a key in the file
     * @return {@code base_model.model.<module path>.<suffix>}; by default the same. A key that fits
     *     nothing may be returned as it is: loading reports it as unexpected
     */
    default String internalKey(String fileKey) {
        return fileKey;
    }
}

package io.github.djladapters.runtime.methods.virtualtokens;

/**
 * Where PEFT's prompt learning methods (prompt tuning, P-tuning, prefix tuning) keep their one tensor:
 * a bare {@code prompt_embeddings} in {@code adapter_model.safetensors}, which is
 * {@code base_model.model.prompt_embeddings} among this project's keys (a model-level attachment,
 * module path {@code ""}). Their {@code PeftFormat}s map one to the other with these.
 */
public final class PromptEmbeddingsKey {

    /** The suffix of the tensor, and its key in PEFT's file. */
    public static final String SUFFIX = "prompt_embeddings";

    /** The model-wide key of the tensor. */
    public static final String MODEL_KEY = "base_model.model." + SUFFIX;

    private PromptEmbeddingsKey() {}

    /**
     * The file's key for a model-wide key.
     *
     * @param key a model-wide key
     * @return {@code prompt_embeddings} for {@link #MODEL_KEY}, other keys unchanged
     */
    public static String fileKey(String key) {
        return MODEL_KEY.equals(key) ? SUFFIX : key;
    }

    /**
     * The model-wide key for a file's key.
     *
     * @param fileKey a key in PEFT's file
     * @return {@link #MODEL_KEY} for {@code prompt_embeddings}, other keys unchanged
     */
    public static String internalKey(String fileKey) {
        return SUFFIX.equals(fileKey) ? MODEL_KEY : fileKey;
    }
}

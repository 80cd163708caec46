package io.github.djladapters.runtime.methods.virtualtokens;

/**
 * The file key of PEFT's prompt learning methods (prompt tuning, P-tuning, prefix tuning): they
 * store their one tensor under a bare {@code prompt_embeddings}, where this project's model-wide key
 * is {@code base_model.model.prompt_embeddings} (a model-level attachment, module path {@code ""}).
 */
public final class PromptEmbeddingsKey {

    /** The key in PEFT's {@code adapter_model.safetensors}. */
    public static final String FILE_KEY = "prompt_embeddings";

    /** This project's model-wide key for the same tensor. */
    public static final String MODEL_KEY = "base_model.model." + FILE_KEY;

    private PromptEmbeddingsKey() {}

    /**
     * PEFT's key for one of this project's keys.
     *
     * @param key a model-wide key
     * @return {@link #FILE_KEY} for {@link #MODEL_KEY}, any other key unchanged
     */
    public static String fileKey(String key) {
        return key.equals(MODEL_KEY) ? FILE_KEY : key;
    }

    /**
     * This project's key for a key of PEFT's file, the inverse of {@link #fileKey}.
     *
     * @param fileKey a key in the file
     * @return {@link #MODEL_KEY} for {@link #FILE_KEY}, any other key unchanged (loading reports it)
     */
    public static String internalKey(String fileKey) {
        return fileKey.equals(FILE_KEY) ? MODEL_KEY : fileKey;
    }
}

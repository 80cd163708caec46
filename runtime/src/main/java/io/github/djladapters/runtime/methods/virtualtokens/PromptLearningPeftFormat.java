package io.github.djladapters.runtime.methods.virtualtokens;

import io.github.djladapters.runtime.methods.PeftFormat;

/**
 * PEFT's folder layout for a prompt-learning method: the keys every {@link PromptLearningConfig}
 * has, and the one tensor {@code prompt_embeddings} under PEFT's bare name.
 *
 * @param <C> the method's config
 */
public interface PromptLearningPeftFormat<C extends PromptLearningConfig> extends PeftFormat<C> {

    /** PEFT's keys of its {@code PromptLearningConfig}, with their values in a config not yet saved. */
    String SHARED_KEYS = """
            "modules_to_save": null, "num_attention_heads": null, "num_layers": null,
            "num_transformer_submodules": null, "num_virtual_tokens": null, "token_dim": null""";

    /**
     * A prompt-learning method's keys for {@link io.github.djladapters.runtime.methods.AbstractPeftFormat}:
     * the shared ones followed by its own.
     *
     * @param methodKeys the method's own keys beyond {@link #SHARED_KEYS}, as the inside of a JSON object
     * @return the inside of a JSON object with both
     */
    static String withSharedKeys(String methodKeys) {
        return SHARED_KEYS + ", " + methodKeys;
    }

    @Override
    default String fileKey(String key) {
        return PromptEmbeddingsKey.fileKey(key);
    }

    @Override
    default String internalKey(String fileKey) {
        return PromptEmbeddingsKey.internalKey(fileKey);
    }
}

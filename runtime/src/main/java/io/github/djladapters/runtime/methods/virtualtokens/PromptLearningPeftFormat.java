package io.github.djladapters.runtime.methods.virtualtokens;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.PeftKeys;

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
     * PEFT's key set for one prompt-learning type.
     *
     * @param peftType for example {@code PROMPT_TUNING}
     * @param methodKeys the method's own keys beyond {@link #SHARED_KEYS}, as the inside of a JSON object
     * @return a fresh tree
     */
    static ObjectNode keys(String peftType, String methodKeys) {
        return PeftKeys.of(peftType, SHARED_KEYS + ", " + methodKeys);
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

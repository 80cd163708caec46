package io.github.djladapters.runtime.architecture;

import ai.djl.nn.Block;
import java.util.Optional;

/**
 * A model that lets adapters change its inputs after the embedding lookup, the input-side analogue
 * of {@code KeyValueAttention}. The model owns at most one extension (adapters compose several into
 * one). In its forward it embeds the tokens, builds {@link ModelInputs}, calls
 * {@link #extendInputs}, and runs its layers on the result, so that the attention mask, position
 * ids and token type ids grow with the embeddings.
 *
 * <pre>{@code
 * ModelInputs in = extendInputs(new ModelInputs(embeddings.forward(...), mask, positions, tokenTypes));
 * }</pre>
 */
public interface InputExtendingModel extends Block {

    /**
     * Installs the extension this model applies from its next forward on.
     *
     * @param extension the extension, or null to remove it
     */
    void setInputExtension(InputExtension extension);

    /**
     * The installed extension.
     *
     * @return the extension, or empty when none is installed
     */
    Optional<InputExtension> inputExtension();

    /**
     * Applies the installed extension, or returns the inputs unchanged.
     *
     * @param inputs the embedded inputs
     * @return the inputs to run the layers on
     */
    default ModelInputs extendInputs(ModelInputs inputs) {
        return inputExtension().map(extension -> extension.extend(inputs)).orElse(inputs);
    }
}

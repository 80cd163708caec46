package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Optional;

/**
 * A model whose input embeddings, as they enter the first layer, are more than its token table's
 * output (BERT adds position and token-type embeddings and normalises them, GPT-2 adds position
 * embeddings), and that lets an adapter transform them there, as the Adapters library's forward hook
 * on BERT's {@code embeddings} module and on GPT-2's {@code drop} does (invertible adapters run their
 * coupling there). A model without this interface (Llama) has its token table's output enter the first
 * layer unchanged, where the library hooks {@code embed_tokens}. The model owns at most one such hook
 * and, in its forward, passes the embeddings through {@link #afterEmbeddings} before the first layer.
 */
public interface EmbeddingsOutputModel extends Block {

    /** A transformation of the embeddings output {@code [B, T, H]}, shape kept. */
    @FunctionalInterface
    interface EmbeddingsOutput {

        /**
         * Transforms the embeddings output.
         *
         * @param store the parameter store of the forward
         * @param hidden {@code [B, T, H]}
         * @param training whether this is a training pass
         * @return the hidden states the first layer receives, same shape
         */
        NDArray apply(ParameterStore store, NDArray hidden, boolean training);
    }

    /**
     * Installs the hook this model applies from its next forward on.
     *
     * @param hook the hook, or null to remove it
     */
    void setEmbeddingsOutput(EmbeddingsOutput hook);

    /**
     * The installed hook.
     *
     * @return the hook, or empty when none is installed
     */
    Optional<EmbeddingsOutput> embeddingsOutput();

    /**
     * Applies the installed hook, or returns the embeddings unchanged.
     *
     * @param store the parameter store
     * @param hidden the embeddings output
     * @param training whether this is a training pass
     * @return the hidden states the first layer receives
     */
    default NDArray afterEmbeddings(ParameterStore store, NDArray hidden, boolean training) {
        return embeddingsOutput().map(hook -> hook.apply(store, hidden, training)).orElse(hidden);
    }
}

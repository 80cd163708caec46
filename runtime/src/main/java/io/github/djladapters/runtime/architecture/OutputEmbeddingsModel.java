package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Optional;

/**
 * A model with output embeddings (a language-model head) that lets an adapter transform the final
 * hidden states right before the output projection, as the Adapters library's forward pre-hook on
 * {@code get_output_embeddings()} does (invertible adapters run their inverse there). The model owns
 * at most one such hook and, in its forward, passes the hidden states through
 * {@link #beforeOutputEmbeddings} before projecting them.
 */
public interface OutputEmbeddingsModel extends Block {

    /** A transformation of the final hidden states {@code [B, T, H]}, shape kept. */
    @FunctionalInterface
    interface OutputEmbeddingsInput {

        /**
         * Transforms the hidden states.
         *
         * @param store the parameter store of the forward
         * @param hidden {@code [B, T, H]}
         * @param training whether this is a training pass
         * @return the hidden states to project, same shape
         */
        NDArray apply(ParameterStore store, NDArray hidden, boolean training);
    }

    /**
     * Installs the hook this model applies from its next forward on.
     *
     * @param hook the hook, or null to remove it
     */
    void setOutputEmbeddingsInput(OutputEmbeddingsInput hook);

    /**
     * The installed hook.
     *
     * @return the hook, or empty when none is installed
     */
    Optional<OutputEmbeddingsInput> outputEmbeddingsInput();

    /**
     * Applies the installed hook, or returns the hidden states unchanged.
     *
     * @param store the parameter store
     * @param hidden the final hidden states
     * @param training whether this is a training pass
     * @return the hidden states to project
     */
    default NDArray beforeOutputEmbeddings(ParameterStore store, NDArray hidden, boolean training) {
        return outputEmbeddingsInput().map(hook -> hook.apply(store, hidden, training)).orElse(hidden);
    }
}

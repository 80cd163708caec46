package io.github.djladapters.runtime.architecture;

/**
 * What an adapter does to a model's inputs (prompt tuning, P-tuning): called by an
 * {@link InputExtendingModel} once per forward, after the embedding lookup. Arrays it creates belong
 * to the manager of the arrays it receives.
 */
@FunctionalInterface
public interface InputExtension {

    /**
     * Changes the inputs.
     *
     * @param inputs the embedded inputs
     * @return the inputs the model runs on; the same object when nothing changes
     */
    ModelInputs extend(ModelInputs inputs);
}

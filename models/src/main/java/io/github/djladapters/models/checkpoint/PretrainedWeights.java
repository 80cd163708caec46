package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.TensorSource;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.initializer.Initializer;
import java.io.IOException;

/**
 * Initialises a model with unfilled parameters and loads checkpoint tensors into it, all or
 * nothing; the parameters are closed again when loading fails.
 *
 * <pre>{@code
 * try (TensorSource weights = CheckpointDirectory.open(dir)) {
 *     PretrainedWeights.load(model, weights, manager, new CheckpointLoader().basePrefixes("model"));
 * }
 * }</pre>
 */
public final class PretrainedWeights {

    /** Allocates without filling: a checkpoint overwrites every value right after. */
    private static final Initializer UNFILLED = (NDManager manager, Shape shape, DataType dataType) ->
            manager.create(shape, dataType);

    private PretrainedWeights() {}

    /**
     * Initialises {@code model} and loads {@code weights} with {@code loader}.
     *
     * @param model a model with Hugging Face module names, not yet initialised
     * @param weights the tensors
     * @param manager owns the parameters
     * @param loader the loader, configured with the model's base prefixes
     * @return what was loaded and what was left out
     * @throws IOException when the weights do not fit
     */
    public static LoadReport load(Block model, TensorSource weights, NDManager manager, CheckpointLoader loader)
            throws IOException {
        model.setInitializer(UNFILLED, parameter -> true);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        try {
            return loader.load(model, weights);
        } catch (IOException | RuntimeException e) {
            model.getParameters().values().forEach(p -> p.getArray().close());
            throw e;
        }
    }
}

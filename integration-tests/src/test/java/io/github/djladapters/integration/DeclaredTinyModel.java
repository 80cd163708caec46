package io.github.djladapters.integration;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.runtime.testmodel.TinyModel;

/**
 * The runtime tests' tiny decoder declared with {@code @AdaptableModel}: its role annotations sit on
 * the fields of {@link TinyModel} and the classes below it, so the processor generates
 * {@code DeclaredTinyModel_AdapterBindings} (direct field access) and its services entry here.
 */
@AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING})
public class DeclaredTinyModel extends TinyModel {

    /**
     * Builds the model with separate q/k/v projections and fixed parameters.
     *
     * @param manager owns the parameters
     */
    public DeclaredTinyModel(NDManager manager) {
        super(manager, false);
    }
}

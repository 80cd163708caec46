package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * A wrapper at a pre-sub-block hook point that records its input in a {@link ResidualSlot} for the
 * adapters after that sub-block. It changes nothing, holds no tensors and is never merged. Each
 * method that needs one subclasses it in its own package, so that one method's recorder is not
 * mistaken for another's.
 */
public abstract class ResidualRecorderLayer extends MarkerLayer {

    private final ResidualSlot slot;

    /**
     * Wraps a hook point.
     *
     * @param base the hook point's block
     * @param modulePath its module path
     * @param activation the model's shared activation state
     * @param slot where the input is recorded
     * @param method the method's name in messages, such as {@code "ReFT adapters"}
     */
    protected ResidualRecorderLayer(Block base, String modulePath, AdapterActivation activation, ResidualSlot slot,
            String method) {
        super(base, modulePath, activation, method, "the residual recorder");
        this.slot = slot;
    }

    /**
     * Where this recorder puts the residual.
     *
     * @return the slot
     */
    public ResidualSlot slot() {
        return slot;
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<Marker>> uses) {
        slot.put(inputs.head());
        return base().forward(store, inputs, training, params);
    }
}

package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import java.util.Optional;

/**
 * A model block that holds the {@link InputExtension} adapters install (prompt tuning, P-tuning),
 * for the models of this module to share; the subclass applies it with {@link #extendInputs} in
 * its forward pass.
 */
public abstract class InputExtendingBlock extends AbstractBlock implements InputExtendingModel {

    private InputExtension inputExtension;

    /** A block without an extension. */
    protected InputExtendingBlock() {}

    @Override
    public void setInputExtension(InputExtension extension) {
        this.inputExtension = extension;
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return Optional.ofNullable(inputExtension);
    }

    /**
     * Runs {@link #forwardInScope} in a
     * {@link ForwardScope} that has adopted the inputs, with the attention mask the call passed after
     * {@code input_ids} (all ones when it passed none), and hands the outputs to the caller's manager.
     */
    @Override
    protected final NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDManager caller = ids.getManager();
        try (ForwardScope scope = ForwardScope.open(caller, training)) {
            scope.adopt(inputs);
            NDArray mask = inputs.size() > 1 ? inputs.get(1) : scope.manager().ones(ids.getShape(), DataType.INT64);
            NDList out = forwardInScope(ps, ids, mask, inputs, scope, training, params);
            out.attach(caller);
            return out;
        }
    }

    /**
     * The model's forward pass inside its scope.
     *
     * @param ps the parameter store
     * @param ids {@code input_ids [B, T]}
     * @param mask the attention mask {@code [B, T]}
     * @param inputs every input of the call, {@code input_ids} first
     * @param scope the scope, whose manager owns what the pass creates
     * @param training whether this is a training pass
     * @param params passed through to the children
     * @return the outputs
     */
    protected abstract NDList forwardInScope(ParameterStore ps, NDArray ids, NDArray mask, NDList inputs, ForwardScope scope,
            boolean training, PairList<String, Object> params);
}

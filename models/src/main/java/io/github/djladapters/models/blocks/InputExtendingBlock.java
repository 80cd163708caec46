package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.AbstractBlock;
import io.github.djladapters.runtime.inputs.InputExtendingModel;
import io.github.djladapters.runtime.inputs.InputExtension;
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
     * The attention mask a forward call passed after {@code input_ids}, or all ones when it passed none.
     *
     * @param inputs {@code (input_ids [B, T], [attention_mask [B, T]], ...)}
     * @param scope the scope of the forward call, which owns the ones it creates
     * @return the mask {@code [B, T]}
     */
    protected static NDArray attentionMaskOrOnes(NDList inputs, ForwardScope scope) {
        NDArray ids = inputs.get(0);
        return inputs.size() > 1 ? inputs.get(1) : scope.manager().ones(ids.getShape(), DataType.INT64);
    }
}

package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.models.blocks.LayerNorm;
import io.github.djladapters.models.blocks.PartsBlock;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * The end of a BERT sub-block, shared by the attention output and the feed-forward output:
 * {@code dense} back to the hidden width, dropout, residual add and {@code LayerNorm}. Inputs: the
 * sub-block's states and the residual (the sub-block's input). This class builds the two children;
 * the subclasses only keep them in fields carrying their roles, so that adapters can find and
 * replace them.
 */
abstract class BertResidualNorm extends PartsBlock<BertResidualNorm.Part> {

    /** The two children. */
    enum Part {
        DENSE,
        LAYER_NORM
    }

    private final int inputWidth;
    private final int hidden;
    private final float dropout;

    BertResidualNorm(BertConfig config, int inputWidth) {
        super(Part.class);
        this.inputWidth = inputWidth;
        this.hidden = config.hiddenSize();
        this.dropout = config.hiddenDropoutProb();
        addPart(Part.DENSE, "dense", new FlatLinear(hidden, true));
        addPart(Part.LAYER_NORM, "LayerNorm", new LayerNorm(hidden, config.layerNormEps()));
    }

    /**
     * Runs {@code states} on {@code inputs}, then this block over its output and the residual
     * {@code inputs[0]}: a whole BERT sub-block ({@code attention}, or {@code intermediate} and
     * {@code output} of a layer).
     *
     * @param states the block before this one ({@code self}, {@code intermediate})
     * @param ps the parameter store
     * @param inputs the sub-block's input hidden states first
     * @param training whether this is a training pass
     * @param params passed through to both blocks
     * @return the sub-block's output hidden states
     */
    final NDList after(Block states, ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray computed = states.forward(ps, inputs, training, params).head();
        return forward(ps, new NDList(computed, inputs.head()), training, params);
    }

    /**
     * Initialises {@code states} for {@code statesInputs} and this block after it.
     *
     * @param states the block before this one
     * @param manager the parameter manager
     * @param dataType the parameter type
     * @param statesInputs the input shapes of {@code states}, hidden states first
     */
    final void initializeAfter(Block states, NDManager manager, DataType dataType, Shape... statesInputs) {
        states.initialize(manager, dataType, statesInputs);
        initialize(manager, dataType, new Shape(1, 1, inputWidth), statesInputs[0]);
    }

    /**
     * The dense projection, as the subclass keeps it in its role field.
     *
     * @return the block registered as {@code dense}
     */
    final Block dense() {
        return part(Part.DENSE);
    }

    /**
     * The layer norm, as the subclass keeps it in its role field.
     *
     * @return the block registered as {@code LayerNorm}
     */
    final Block layerNorm() {
        return part(Part.LAYER_NORM);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = part(Part.DENSE).forward(ps, new NDList(inputs.get(0)), training, params).head();
        if (training && dropout > 0) {
            projected = DropoutMask.apply(projected, dropout);
        }
        // in place: the projection's output (or dropout's) is this call's own, and neither the product's
        // nor dropout's backward reads it
        NDArray sum = projected.addi(inputs.get(1));
        return part(Part.LAYER_NORM).forward(ps, new NDList(sum), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[1]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        part(Part.DENSE).initialize(manager, dataType, new Shape(1, inputWidth));
        part(Part.LAYER_NORM).initialize(manager, dataType, new Shape(1, hidden));
    }
}

package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A parameter-free identity block that marks a place in the forward pass where an architecture has
 * no block of its own (for example before the self-attention of a post-LN BERT layer), so that
 * adapters that hook a site ({@code @PreSelfAttention}, {@code @PreFfn}) have a block to wrap. It adds
 * no checkpoint keys.
 */
public final class HookPoint extends AbstractBlock {

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return inputs;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

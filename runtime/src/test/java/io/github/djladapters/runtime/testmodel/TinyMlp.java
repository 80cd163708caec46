package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.OutputProj;

/** Feed-forward block: {@code down_proj(relu(up_proj(x)))}. */
public final class TinyMlp extends TinyBlock {

    @IntermediateProj
    public Block upProj;
    @OutputProj
    public Block downProj;

    TinyMlp(int hidden, int ffn) {
        upProj = addChildBlock("up_proj", Linear.builder().setUnits(ffn).build());
        downProj = addChildBlock("down_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(run(downProj, store, Activation.relu(run(upProj, store, inputs.head(), training)), training));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        upProj.initialize(manager, dataType, inputShapes);
        downProj.initialize(manager, dataType, upProj.getOutputShapes(inputShapes));
    }
}

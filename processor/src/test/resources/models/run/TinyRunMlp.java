package run;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.OutputProj;

/** {@code down(relu(up(x)))}, up to twice the hidden size. */
public class TinyRunMlp extends AbstractBlock {
    @IntermediateProj Block upProj;
    @OutputProj Block downProj;

    TinyRunMlp(int hidden) {
        upProj = addChildBlock("up_proj", Linear.builder().setUnits(2L * hidden).build());
        downProj = addChildBlock("down_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList up = upProj.forward(store, inputs, training, params);
        return downProj.forward(store, new NDList(Activation.relu(up.singletonOrThrow())), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        upProj.initialize(manager, dataType, inputShapes);
        downProj.initialize(manager, dataType, upProj.getOutputShapes(inputShapes));
    }
}

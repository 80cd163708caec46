package io.github.djladapters.samples.plugin;

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

/** The feed-forward block: hidden -> 4 x hidden -> GELU -> hidden. */
public final class ToyGptMlp extends AbstractBlock {

    @IntermediateProj Block cFc;
    @OutputProj Block cProj;

    ToyGptMlp(int hidden) {
        cFc = addChildBlock("c_fc", Linear.builder().setUnits(4L * hidden).build());
        cProj = addChildBlock("c_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList up = cFc.forward(store, inputs, training);
        return cProj.forward(store, new NDList(Activation.gelu(up.head())), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        cFc.initialize(manager, dataType, inputShapes);
        Shape inner = inputShapes[0].slice(0, inputShapes[0].dimension() - 1).add(cFc.getOutputShapes(inputShapes)[0].tail());
        cProj.initialize(manager, dataType, inner);
    }
}

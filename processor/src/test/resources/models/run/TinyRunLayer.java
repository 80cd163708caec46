package run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.SelfAttention;

/** One layer: {@code h = x + attn(x); out = h + mlp(h)}. */
public class TinyRunLayer extends AbstractBlock {
    @SelfAttention TinyRunAttention selfAttn;
    TinyRunMlp mlp;

    TinyRunLayer(int hidden) {
        selfAttn = addChildBlock("self_attn", new TinyRunAttention(hidden));
        mlp = addChildBlock("mlp", new TinyRunMlp(hidden));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = x.add(selfAttn.forward(store, inputs, training, params).singletonOrThrow());
        NDArray out = h.add(mlp.forward(store, new NDList(h), training, params).singletonOrThrow());
        return new NDList(out);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        selfAttn.initialize(manager, dataType, inputShapes);
        mlp.initialize(manager, dataType, inputShapes);
    }
}

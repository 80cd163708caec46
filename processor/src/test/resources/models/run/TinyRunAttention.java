package run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;

/** Not real attention, but it reads all four projections: {@code o(q(x) * k(x) + v(x))}. */
public class TinyRunAttention extends AbstractBlock {
    @QProj Block qProj;
    @KProj Block kProj;
    @VProj Block vProj;
    @OProj Block oProj;

    TinyRunAttention(int hidden) {
        qProj = addChildBlock("q_proj", Linear.builder().setUnits(hidden).build());
        kProj = addChildBlock("k_proj", Linear.builder().setUnits(hidden).build());
        vProj = addChildBlock("v_proj", Linear.builder().setUnits(hidden).build());
        oProj = addChildBlock("o_proj", Linear.builder().setUnits(hidden).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray q = qProj.forward(store, inputs, training, params).singletonOrThrow();
        NDArray k = kProj.forward(store, inputs, training, params).singletonOrThrow();
        NDArray v = vProj.forward(store, inputs, training, params).singletonOrThrow();
        return oProj.forward(store, new NDList(q.mul(k).add(v)), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block projection : new Block[] {qProj, kProj, vProj, oProj}) {
            projection.initialize(manager, dataType, inputShapes);
        }
    }
}

package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A lookup table from integer ids to vectors with PyTorch's parameter name {@code weight}
 * ({@code [count, dim]}); DJL's own {@code Embedding} calls it {@code embedding}.
 */
public final class Embedding extends AbstractBlock {

    private final int count;
    private final int dim;
    private final Parameter weight;

    /**
     * A table of {@code count} vectors of width {@code dim}.
     *
     * @param count the number of ids
     * @param dim the vector width
     */
    public Embedding(int count, int dim) {
        this.count = count;
        this.dim = dim;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
    }

    /**
     * The number of ids.
     *
     * @return the table size
     */
    public int count() {
        return count;
    }

    /**
     * The vector width.
     *
     * @return the embedding width
     */
    public int dim() {
        return dim;
    }

    /**
     * The table, for heads that tie their output projection to it ({@code logits = h W^T}).
     *
     * @return the {@code [count, dim]} weight
     */
    public Parameter weight() {
        return weight;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray table = parameterStore.getValue(weight, ids.getDevice(), training);
        return ai.djl.nn.core.Embedding.embedding(ids, table, SparseFormat.DENSE);
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        if (weight.getShape() == null) {
            weight.setShape(new Shape(count, dim));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(dim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

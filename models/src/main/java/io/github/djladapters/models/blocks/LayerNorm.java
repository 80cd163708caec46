package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Layer normalisation over the last axis with PyTorch's parameter names, {@code weight} and
 * {@code bias} (DJL's own {@code LayerNorm} calls them {@code gamma} and {@code beta}), so that a
 * block's module path plus the parameter name is the Hugging Face tensor name.
 */
public final class LayerNorm extends AbstractBlock {

    private final int size;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A layer norm over vectors of one width.
     *
     * @param size the width of the normalised axis
     * @param eps the epsilon added to the variance
     */
    public LayerNorm(int size, double eps) {
        this.size = size;
        this.eps = (float) eps;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA).build());
    }

    /**
     * The epsilon added to the variance.
     *
     * @return epsilon
     */
    public float eps() {
        return eps;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        NDArray w = parameterStore.getValue(weight, input.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, input.getDevice(), training);
        return ai.djl.nn.norm.LayerNorm.layerNorm(input, new Shape(size), w, b, eps);
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        if (weight.getShape() == null) {
            weight.setShape(new Shape(size));
        }
        if (bias.getShape() == null) {
            bias.setShape(new Shape(size));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

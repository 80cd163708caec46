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
 * Root-mean-square layer normalisation as in Llama, Mistral and Qwen2 ({@code LlamaRMSNorm}):
 * {@code x / sqrt(mean(x^2) + eps) * weight} over the last axis, no centring and no bias; the
 * parameter is called {@code weight} as in Hugging Face checkpoints.
 */
public final class RmsNorm extends AbstractBlock {

    private final int size;
    private final float eps;
    private final Parameter weight;

    /**
     * A norm over vectors of one width.
     *
     * @param size the width of the normalised axis
     * @param eps the epsilon added to the mean square ({@code rms_norm_eps})
     */
    public RmsNorm(int size, double eps) {
        this.size = size;
        this.eps = (float) eps;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
    }

    /**
     * The scale parameter.
     *
     * @return {@code weight}, {@code [size]}
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The epsilon added to the mean square, as the forward adds it.
     *
     * @return {@code rms_norm_eps} as a float
     */
    public float eps() {
        return eps;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return new NDList(x.div(meanSquare.add(eps).sqrt()).mul(w));
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        if (weight.getShape() == null) {
            weight.setShape(new Shape(size));
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

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
import io.github.djladapters.runtime.architecture.LinearWeights;
import java.util.Optional;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * GPT-2's {@code Conv1D}: a linear projection {@code y = x W + b} whose weight is stored
 * {@code [in, out]}, the transpose of {@code nn.Linear}, exactly as in Hugging Face checkpoints.
 * It tells adapter methods so through {@link LinearWeights#fanInFanOut()} (PEFT's
 * {@code fan_in_fan_out}).
 */
public final class Conv1D extends AbstractBlock implements LinearWeights {

    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A projection from {@code in} to {@code out} features.
     *
     * @param in input features
     * @param out output features
     */
    public Conv1D(int in, int out) {
        this.in = in;
        this.out = out;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Optional<Parameter> bias() {
        return Optional.of(bias);
    }

    @Override
    public boolean fanInFanOut() {
        return true;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray b = parameterStore.getValue(bias, x.getDevice(), training);
        return new NDList(FlatLinear.projectInOut(x, w, b));
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        if (weight.getShape() == null) {
            weight.setShape(new Shape(in, out));
        }
        if (bias.getShape() == null) {
            bias.setShape(new Shape(out));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {x.slice(0, x.dimension() - 1).add(out)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

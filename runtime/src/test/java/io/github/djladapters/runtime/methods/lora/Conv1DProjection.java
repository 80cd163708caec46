package io.github.djladapters.runtime.methods.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.LinearWeights;
import java.util.Optional;

/** GPT-2's {@code Conv1D} in miniature: weight stored {@code [in, out]}, {@code y = x W + b}. */
final class Conv1DProjection extends AbstractBlock implements LinearWeights {

    private final Parameter weight;
    private final Parameter bias;

    /** Holds {@code outIn} transposed, so that it computes the same as a Linear with {@code outIn}. */
    Conv1DProjection(NDManager manager, float[] outIn, float[] bias, int out, int in) {
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
        weight.setArray(manager.create(outIn, new Shape(out, in)).transpose().duplicate());
        this.bias.setArray(manager.create(bias));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        return new NDList(x.matMul(store.getValue(weight, x.getDevice(), training))
                .add(store.getValue(bias, x.getDevice(), training)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
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
}

package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;

/**
 * The parameters of one adapter at one module, a child block of its {@link AdapterLayer} named
 * after the adapter, so that DJL's parameter listing, freezing and device moves see them. Its
 * forward is never called: the layer reads the parameters itself.
 */
public abstract class AdapterWeights extends AbstractBlock {

    /**
     * Registers a parameter holding {@code value}, trainable like any fresh DJL parameter.
     *
     * @param name the parameter name, such as {@code lora_A}
     * @param value its initial values
     * @return the parameter
     */
    protected final Parameter newParameter(String name, NDArray value) {
        Parameter parameter = addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build());
        parameter.setArray(value);
        parameter.freeze(false);
        return parameter;
    }

    @Override
    protected final ai.djl.ndarray.NDList forwardInternal(ai.djl.training.ParameterStore store,
            ai.djl.ndarray.NDList inputs, boolean training, ai.djl.util.PairList<String, Object> params) {
        throw new UnsupportedOperationException("adapter weights are read by their AdapterLayer, not run");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}

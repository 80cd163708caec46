package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** RMS norm over the last axis with a learned scale, as in Llama. */
public final class RmsNorm extends TinyBlock {

    static final float EPS = 1e-6f;
    private final Parameter weight;

    RmsNorm(int hidden) {
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA)
                .optShape(new Shape(hidden)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray scale = x.square().mean(new int[] {-1}, true).add(EPS).sqrt();
        return new NDList(x.div(scale).mul(store.getValue(weight, x.getDevice(), training)));
    }
}

package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Token embedding: one-hot ids times a {@code [vocab, hidden]} table. */
public final class TinyEmbedding extends TinyBlock {

    private final int vocab;
    private final Parameter weight;

    TinyEmbedding(int vocab, int hidden) {
        this.vocab = vocab;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(vocab, hidden)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray table = store.getValue(weight, inputs.head().getDevice(), training);
        return new NDList(inputs.head().oneHot(vocab).matMul(table));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(weight.getShape().get(1))};
    }
}

package io.github.djladapters.samples.plugin;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** A token embedding table ({@code weight} of shape [vocab, hidden]) looked up by token id. */
public final class TokenEmbedding extends AbstractBlock {

    private final Parameter weight;
    private final int hidden;

    /**
     * Creates an embedding table.
     *
     * @param vocabSize number of tokens
     * @param hidden embedding width
     */
    public TokenEmbedding(int vocabSize, int hidden) {
        this.hidden = hidden;
        this.weight = addParameter(Parameter.builder()
                .setName("weight")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(vocabSize, hidden))
                .build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return Embedding.embedding(inputs.singletonOrThrow(), store.getValue(weight, inputs.head().getDevice(), training),
                SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hidden)};
    }

    @Override
    protected void initializeChildBlocks(ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

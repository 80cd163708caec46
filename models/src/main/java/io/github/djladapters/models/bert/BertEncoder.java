package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * The stack of transformer layers ({@code encoder}), held in a {@link ModuleList} named
 * {@code layer} so that module paths read {@code encoder.layer.N}. Inputs: hidden states and the
 * additive attention mask; output: the last hidden states.
 */
public final class BertEncoder extends AbstractBlock {

    final ModuleList<BertLayer> layer;

    BertEncoder(BertConfig config) {
        List<BertLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new BertLayer(config));
        }
        layer = addChildBlock("layer", new ModuleList<>(layers));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray maskBias = inputs.get(1);
        for (BertLayer block : layer.asList()) {
            // One scope per layer frees its intermediates (scores, probabilities, the 4x wide
            // feed-forward activations) before the next layer runs; while training, what autograd
            // saved stays alive through its own references (see ForwardScope.openLayer).
            NDArray in = hidden;
            hidden = ForwardScope.runLayer(new NDList(in, maskBias), training,
                    scope -> block.forward(ps, new NDList(in, maskBias), training, params).head());
        }
        return new NDList(hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (BertLayer block : layer.asList()) {
            block.initialize(manager, dataType, inputShapes);
        }
    }
}

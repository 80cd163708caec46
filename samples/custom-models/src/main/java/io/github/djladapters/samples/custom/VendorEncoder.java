package io.github.djladapters.samples.custom;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * A small pre-norm transformer encoder over feature vectors (sensor readings, say), standing for a
 * model from a library you cannot edit: it carries no annotations. {@link VendorEncoderAdapters}
 * declares where its parts are, by the child names it registers.
 *
 * <p>Input {@code [B, T, features]}, output {@code [B, T, hidden]}.
 */
public class VendorEncoder extends AbstractBlock {

    Block embedTokens;
    ModuleList<VendorLayer> layers;
    private final int hidden;

    /**
     * Builds the encoder.
     *
     * @param hidden the model width
     * @param heads the attention heads; divides {@code hidden}
     * @param layerCount the number of layers
     */
    public VendorEncoder(int hidden, int heads, int layerCount) {
        this.hidden = hidden;
        embedTokens = addChildBlock("embed_tokens", Linear.builder().setUnits(hidden).build());
        List<VendorLayer> built = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            built.add(new VendorLayer(hidden, heads));
        }
        layers = addChildBlock("layers", new ModuleList<>(built));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList states = embedTokens.forward(store, inputs, training, params);
        for (VendorLayer layer : layers.asList()) {
            states = layer.forward(store, states, training, params);
        }
        return states;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), in.get(1), hidden)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        embedTokens.initialize(manager, dataType, inputShapes);
        layers.initialize(manager, dataType, embedTokens.getOutputShapes(inputShapes));
    }
}

package run;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/** A two-layer model small enough to check by hand: embed, then per layer attention-ish and MLP residuals. */
@AdaptableModel(methods = {AdapterMethod.LORA})
public class TinyRunModel extends AbstractBlock {
    @Embeddings Block embedTokens;
    @Layers List<TinyRunLayer> layers;
    final ModuleList<TinyRunLayer> layerList;
    private final int hidden;

    public TinyRunModel(int hidden, int layerCount) {
        this.hidden = hidden;
        embedTokens = addChildBlock("embed_tokens", Linear.builder().setUnits(hidden).build());
        List<TinyRunLayer> built = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            built.add(new TinyRunLayer(hidden));
        }
        layerList = addChildBlock("layers", new ModuleList<>(built));
        layers = layerList.asList();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList hiddenStates = embedTokens.forward(store, inputs, training, params);
        for (TinyRunLayer layer : layers) {
            hiddenStates = layer.forward(store, hiddenStates, training, params);
        }
        return hiddenStates;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), hidden)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        embedTokens.initialize(manager, dataType, inputShapes);
        layerList.initialize(manager, dataType, embedTokens.getOutputShapes(inputShapes));
    }
}

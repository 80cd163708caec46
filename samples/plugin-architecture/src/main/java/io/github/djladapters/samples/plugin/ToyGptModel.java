package io.github.djladapters.samples.plugin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * A small GPT-style decoder (token ids [batch, seq] in, hidden states [batch, seq, hidden] out)
 * shipped as a plugin: its module names follow GPT-2 ({@code wte}, {@code h.0.attn.c_attn}, ...),
 * and the annotations below are all it takes for {@code Adapters.init(model)} to find it.
 */
@AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.REFT, AdapterMethod.PROMPT_TUNING})
public final class ToyGptModel extends AbstractBlock {

    @Embeddings Block wte;
    @Layers List<ToyGptBlock> h;

    private final int vocabSize;

    /**
     * Creates an uninitialised model.
     *
     * @param vocabSize number of tokens
     * @param hidden hidden size
     * @param heads attention heads (must divide {@code hidden})
     * @param layers number of layers
     */
    public ToyGptModel(int vocabSize, int hidden, int heads, int layers) {
        this.vocabSize = vocabSize;
        wte = addChildBlock("wte", new TokenEmbedding(vocabSize, hidden));
        List<ToyGptBlock> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            blocks.add(new ToyGptBlock(hidden, heads));
        }
        h = addChildBlock("h", new ModuleList<>(blocks)).asList();
    }

    /**
     * Creates and initialises a model with small random weights.
     *
     * @param manager where the parameters live
     * @return an initialised model with vocabulary 64, hidden 32, 4 heads and 2 layers
     */
    public static ToyGptModel createInitialized(NDManager manager) {
        ToyGptModel model = new ToyGptModel(64, 32, 4, 2);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 8));
        return model;
    }

    /**
     * The vocabulary size.
     *
     * @return number of tokens
     */
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = wte.forward(store, inputs, training).head();
        for (ToyGptBlock layer : h) {
            x = layer.forward(store, new NDList(x), training).head();
        }
        return new NDList(x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return wte.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        wte.initialize(manager, dataType, inputShapes);
        Shape[] hidden = wte.getOutputShapes(inputShapes);
        for (ToyGptBlock layer : h) {
            layer.initialize(manager, dataType, hidden);
        }
    }
}

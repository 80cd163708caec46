package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.runtime.architecture.LayerOutputExtendingModel;
import io.github.djladapters.runtime.architecture.LayerOutputExtension;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A two-layer Llama-like decoder with Hugging Face child names ({@code embed_tokens},
 * {@code layers.N.self_attn.q_proj}, {@code layers.N.mlp.up_proj}, ...), sized for exact tests.
 * Its fields carry the DSL's role annotations, inert here (no processor runs on these tests, which
 * bind the model through {@link TinyInterfaces}); the integration tests declare a subclass with
 * {@code @AdaptableModel} and run the bindings the processor generates from them.
 */
public class TinyModel extends TinyBlock implements LayerOutputExtendingModel {

    public static final int VOCAB = 11;
    public static final int HIDDEN = 8;
    public static final int HEADS = 2;
    public static final int FFN = 12;
    public static final int LAYERS = 2;

    @Embeddings
    public Block embedTokens;
    @Layers
    public List<TinyLayer> layers;
    private LayerOutputExtension layerOutputExtension;

    /**
     * Builds the model with random but fixed parameters.
     *
     * @param manager owns the parameters
     * @param fused whether attention uses one {@code qkv_proj}
     */
    public TinyModel(NDManager manager, boolean fused) {
        embedTokens = addChildBlock("embed_tokens", new TinyEmbedding(VOCAB, HIDDEN));
        List<TinyLayer> blocks = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            blocks.add(new TinyLayer(HIDDEN, HEADS, FFN, fused));
        }
        layers = addChildBlock("layers", new ModuleList<>(blocks)).asList();
        initialize(manager, DataType.FLOAT32, new Shape(1, 3));
        fill(this, 42);
    }

    /**
     * Overwrites every parameter of a block with values from a seeded generator.
     *
     * @param block an initialised block
     * @param seed the seed
     */
    public static void fill(Block block, long seed) {
        Random random = new Random(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray array = p.getValue().getArray();
            float[] values = new float[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextFloat() - 0.5f;
            }
            array.set(values);
        }
    }

    /**
     * Runs the model on token ids, without gradients.
     *
     * @param manager owns the result
     * @param ids token ids, {@code [batch][seq]}
     * @return the last hidden state, {@code [batch, seq, hidden]}, as floats
     */
    public float[] run(NDManager manager, long[][] ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids);
            return forward(new ParameterStore(scope, false), new NDList(input), false).singletonOrThrow().toFloatArray();
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = run(embedTokens, store, inputs.head(), training);
        for (int i = 0; i < layers.size(); i++) {
            x = extendLayerOutput(i, run(layers.get(i), store, x, training));
        }
        return new NDList(x);
    }

    @Override
    public void setLayerOutputExtension(LayerOutputExtension extension) {
        this.layerOutputExtension = extension;
    }

    @Override
    public Optional<LayerOutputExtension> layerOutputExtension() {
        return Optional.ofNullable(layerOutputExtension);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return embedTokens.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        embedTokens.initialize(manager, dataType, inputShapes);
        Shape[] hidden = embedTokens.getOutputShapes(inputShapes);
        for (TinyLayer layer : layers) {
            layer.initialize(manager, dataType, hidden);
        }
    }
}

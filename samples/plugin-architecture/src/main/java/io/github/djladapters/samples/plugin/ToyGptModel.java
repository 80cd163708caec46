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
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.architecture.ModuleList;
import io.github.djladapters.runtime.architecture.RealTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A small GPT-style decoder shipped as a plugin: its module names follow GPT-2 ({@code wte},
 * {@code h.0.attn.c_attn}, ...), and the annotations below are all it takes for
 * {@code Adapters.init(model)} to find it. It has no position embeddings.
 *
 * <p>Forward inputs: token ids {@code [batch, seq]}, then optionally an attention mask
 * {@code [batch, seq]} (1 for tokens, 0 for padding on either side; all ones when absent). Output:
 * hidden states {@code [batch, seq, hidden]}. Adapters reach it through the runtime's architecture
 * interfaces: its inputs ({@link InputExtendingModel}: prompt and prefix tuning), its attention
 * ({@code KeyValueAttention}: prefix tuning, adaption prompts), and the real tokens of the mask
 * ({@link RealTokens}: ReFT positions).
 */
@AdaptableModel(methods = {
    AdapterMethod.LORA,
    AdapterMethod.REFT,
    AdapterMethod.PROMPT_TUNING,
    AdapterMethod.PREFIX_TUNING,
    AdapterMethod.ADAPTION_PROMPT
})
public final class ToyGptModel extends AbstractBlock implements InputExtendingModel {

    @Embeddings Block wte;
    @Layers List<ToyGptBlock> h;

    private final int vocabSize;
    private InputExtension inputExtension;

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
        NDArray ids = inputs.get(0);
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : ids.onesLike();
        NDArray tokens = wte.forward(store, new NDList(ids), training).head();
        ModelInputs in = extendInputs(new ModelInputs(tokens, mask, null, null));
        NDArray x = in.embeddings();
        NDArray bias = maskBias(in.attentionMask());
        try (RealTokens.Scope window = RealTokens.open(in.attentionMask(), x.getShape().get(1))) {
            for (ToyGptBlock layer : h) {
                x = layer.forward(store, new NDList(x, bias), training).head();
            }
        }
        return new NDList(x);
    }

    /**
     * The additive mask of causal attention over a padded batch: query {@code t} sees key {@code s}
     * when {@code s <= t} and {@code s} is a token.
     *
     * @param mask {@code [batch, seq]}, 1 for tokens
     * @return {@code [batch, 1, seq, seq]}, 0 where attended and -1e9 where hidden
     */
    static NDArray maskBias(NDArray mask) {
        long batch = mask.getShape().get(0);
        long seq = mask.getShape().get(1);
        NDArray position = mask.getManager().arange((int) seq);
        NDArray causal = position.expandDims(0).lte(position.expandDims(1)); // key not after query
        NDArray tokens = mask.toType(DataType.FLOAT32, false).gt(0f).reshape(batch, 1, 1, seq);
        NDArray allowed = tokens.logicalAnd(causal.reshape(1, 1, seq, seq)).toType(DataType.FLOAT32, false);
        return allowed.sub(1f).mul(1e9f);
    }

    @Override
    public void setInputExtension(InputExtension extension) {
        this.inputExtension = extension;
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return Optional.ofNullable(inputExtension);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return wte.getOutputShapes(new Shape[] {inputShapes[0]});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        wte.initialize(manager, dataType, inputShapes[0]);
        Shape[] hidden = wte.getOutputShapes(new Shape[] {inputShapes[0]});
        for (ToyGptBlock layer : h) {
            layer.initialize(manager, dataType, hidden[0]);
        }
    }
}

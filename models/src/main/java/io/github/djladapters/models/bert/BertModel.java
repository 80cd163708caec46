package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.EmbeddingsOutputModel;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.architecture.RealTokens;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.InputExtendingBlock;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.PaddingMask;
import java.util.List;
import java.util.Optional;

/**
 * A BERT, RoBERTa or XLM-RoBERTa encoder written as DJL blocks, with Hugging Face module names:
 * {@code embeddings}, {@code encoder.layer.N.attention.self.query}, ..., and {@code pooler} when
 * built with one. Parameters therefore map one to one onto the tensors of a Hugging Face checkpoint
 * ({@code encoder.layer.0.attention.self.query.weight}).
 *
 * <p>Forward inputs: {@code input_ids [B, T]}, then optionally {@code attention_mask [B, T]}
 * (1 for tokens, 0 for padding; all ones when absent) and {@code token_type_ids [B, T]} (zeros when
 * absent). Outputs: {@code last_hidden_state [B, T, H]}, then {@code pooler_output [B, H]} when the
 * model has a pooler.
 *
 * <pre>{@code
 * BertModel model = BertModels.fromCheckpoint(Path.of("my-bert"), manager);
 * NDList out = model.forward(new ParameterStore(manager, false), new NDList(ids, mask), false);
 * }</pre>
 */
@AdaptableModel(methods = {
    AdapterMethod.LORA,
    AdapterMethod.BOTTLENECK,
    AdapterMethod.PREFIX_TUNING,
    AdapterMethod.PROMPT_TUNING,
    AdapterMethod.REFT,
    AdapterMethod.INVERTIBLE
})
public class BertModel extends InputExtendingBlock implements EmbeddingsOutputModel {

    BertEmbeddings embeddings;
    BertEncoder encoder;
    @Layers List<BertLayer> layers;
    BertPooler pooler;

    private final BertConfig config;
    private EmbeddingsOutput embeddingsOutput;

    /**
     * A model without pooler, as sentence-transformers and token-level tasks use it.
     *
     * @param config the architecture
     */
    public BertModel(BertConfig config) {
        this(config, false);
    }

    /**
     * A model with or without BERT's pooler.
     *
     * @param config the architecture
     * @param addPoolingLayer whether to add {@code pooler} (dense + tanh over [CLS])
     */
    public BertModel(BertConfig config, boolean addPoolingLayer) {
        this.config = config;
        embeddings = addChildBlock("embeddings", new BertEmbeddings(config));
        encoder = addChildBlock("encoder", new BertEncoder(config));
        layers = encoder.layer.asList();
        if (addPoolingLayer) {
            pooler = addChildBlock("pooler", new BertPooler(config));
        }
    }

    /**
     * The architecture this model was built from.
     *
     * @return the config
     */
    public BertConfig config() {
        return config;
    }

    /**
     * Whether this model has a pooler and returns {@code pooler_output}.
     *
     * @return true when built with a pooling layer
     */
    public boolean hasPooler() {
        return pooler != null;
    }

    /**
     * Creates every parameter with its shape and the default initializers (Xavier weights, unit
     * layer-norm gains, zero biases).
     *
     * @param manager the manager that will own the parameters
     */
    public void initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1));
    }

    @Override
    protected NDList forwardInScope(ParameterStore ps, NDArray ids, NDArray mask, NDList inputs, ForwardScope scope,
            boolean training, PairList<String, Object> params) {
        NDArray types = inputs.size() > 2 ? inputs.get(2) : scope.manager().zeros(ids.getShape(), DataType.INT64);
        NDArray hidden;
        if (inputExtension().isEmpty()) {
            hidden = embeddings.forward(ps, new NDList(ids, types), training, params).head();
        } else {
            // BERT's positions are one row every row shares ([T]); RoBERTa's are per row
            ModelInputs extended = extendInputs(new ModelInputs(embeddings.words(ps, ids, training, params), mask,
                    embeddings.positionIds(ids), types));
            mask = extended.attentionMask();
            hidden = embeddings.combine(ps, extended.embeddings(), extended.positionIds(),
                    extended.tokenTypeIds(), training, params);
        }
        hidden = afterEmbeddings(ps, hidden, training);
        NDArray last;
        try (RealTokens.Scope window = RealTokens.open(mask, hidden.getShape().get(1))) {
            last = encoder.forward(ps, new NDList(hidden, maskBias(mask)), training, params).head();
        }
        return pooler == null
                ? new NDList(last)
                : new NDList(last, pooler.forward(ps, new NDList(last), training, params).head());
    }

    @Override
    public void setEmbeddingsOutput(EmbeddingsOutput hook) {
        embeddingsOutput = hook;
    }

    @Override
    public Optional<EmbeddingsOutput> embeddingsOutput() {
        return Optional.ofNullable(embeddingsOutput);
    }

    /**
     * The additive attention mask: 0 where {@code mask} is 1, the lowest float where it is 0, shaped
     * {@code [B, 1, 1, T]} to broadcast over heads and query positions.
     *
     * @param mask the attention mask {@code [B, T]}
     * @return the additive mask
     */
    static NDArray maskBias(NDArray mask) {
        return PaddingMask.bias(mask);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        Shape last = ids.add(config.hiddenSize());
        return pooler == null
                ? new Shape[] {last}
                : new Shape[] {last, new Shape(ids.get(0), config.hiddenSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = new Shape(1, 1);
        Shape hidden = new Shape(1, 1, config.hiddenSize());
        embeddings.initialize(manager, dataType, ids, ids);
        encoder.initialize(manager, dataType, hidden, new Shape(1, 1, 1, 1));
        if (pooler != null) {
            pooler.initialize(manager, dataType, hidden);
        }
    }
}

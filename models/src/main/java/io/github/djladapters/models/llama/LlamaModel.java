package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.inputs.InputExtendingModel;
import io.github.djladapters.runtime.inputs.InputExtension;
import io.github.djladapters.runtime.inputs.ModelInputs;
import java.util.Optional;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.RmsNorm;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.DecoderStack;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.runtime.blocks.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * The Llama-family decoder ({@code model} in {@code LlamaForCausalLM}): {@code embed_tokens},
 * layers {@code layers.N} and the final {@code norm}; rotary tables are computed from the position
 * ids. Its {@link Block#forward} takes {@code input_ids [B, T]} and optionally
 * {@code attention_mask} and {@code position_ids}, and returns the final hidden states
 * {@code [B, T, H]}.
 */
public final class LlamaModel extends AbstractBlock implements InputExtendingModel {

    @Embeddings Block embed_tokens;
    @Layers List<LlamaDecoderLayer> layers;
    Block norm;

    private final LlamaConfig config;
    private final Embedding tokenTable;
    private final RotaryEmbedding rotary;
    private InputExtension inputExtension;

    /**
     * An uninitialised decoder.
     *
     * @param config the architecture
     */
    public LlamaModel(LlamaConfig config) {
        this.config = config;
        rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta());
        tokenTable = new Embedding(config.vocabSize(), config.hiddenSize());
        embed_tokens = addChildBlock("embed_tokens", tokenTable);
        List<LlamaDecoderLayer> blocks = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            blocks.add(new LlamaDecoderLayer(config));
        }
        layers = addChildBlock("layers", new ModuleList<>(blocks)).asList();
        norm = addChildBlock("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
    }

    /**
     * The token table as built, for a tied LM head (even when an adapter wraps {@code embed_tokens}).
     *
     * @return the token embedding
     */
    Embedding tokenTable() {
        return tokenTable;
    }

    /**
     * The final hidden states of new tokens, reading and extending {@code cache}.
     *
     * @param ps the parameter store
     * @param ids {@code [B, T]}
     * @param mask {@code [B, P + T]}
     * @param positions {@code [B, T]}
     * @param cache the cache, or {@code null}
     * @param training whether this is a training pass
     * @param params passed through to the layers
     * @return {@code [B, T, H]}
     */
    NDArray hiddenStates(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache,
            boolean training, PairList<String, Object> params) {
        NDArray hidden = embed_tokens.forward(ps, new NDList(ids), training, params).head();
        if (inputExtension != null) {
            ModelInputs extended = extendInputs(new ModelInputs(hidden, mask, positions, null));
            hidden = extended.embeddings();
            mask = extended.attentionMask();
            positions = extended.positionIds();
        }
        NDList shared = new NDList(CausalAttentionMask.bias(mask, hidden.getShape().get(1)));
        shared.addAll(rotary.tables(positions));
        NDArray last = DecoderStack.run(ps, layers, hidden, shared, cache, training, params);
        return norm.forward(ps, new NDList(last), training, params).head();
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
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDManager caller = ids.getManager();
        try (ForwardScope scope = ForwardScope.open(caller, training)) {
            scope.adopt(inputs);
            NDArray mask = inputs.size() > 1 ? inputs.get(1) : scope.manager().ones(ids.getShape(), DataType.INT64);
            NDArray positions = inputs.size() > 2 ? inputs.get(2)
                    : CausalAttentionMask.positionIds(mask, ids.getShape().get(1));
            NDArray out = hiddenStates(ps, ids, mask, positions, null, training, params);
            out.attach(caller);
            return new NDList(out);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.hiddenSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, config.hiddenSize());
        embed_tokens.initialize(manager, dataType, new Shape(1, 1));
        for (LlamaDecoderLayer layer : layers) {
            layer.initialize(manager, dataType, hidden);
        }
        norm.initialize(manager, dataType, hidden);
    }
}

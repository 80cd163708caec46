package io.github.djladapters.models.gpt2;

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
import io.github.djladapters.models.blocks.LayerNorm;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.DecoderStack;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.runtime.blocks.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * The GPT-2 transformer ({@code transformer} in {@code GPT2LMHeadModel}): {@code wte}, {@code wpe},
 * blocks {@code h.N} and the final {@code ln_f}. Its {@link Block#forward} takes
 * {@code input_ids [B, T]} and optionally {@code attention_mask} and {@code position_ids}, and
 * returns the final hidden states {@code [B, T, H]}.
 */
public final class GPT2Model extends AbstractBlock implements InputExtendingModel {

    @Embeddings Block wte;
    Block wpe;
    @Layers List<GPT2Block> h;
    Block ln_f;

    private final GPT2Config config;
    private final Embedding tokenTable;
    private InputExtension inputExtension;

    /**
     * An uninitialised transformer.
     *
     * @param config the architecture
     */
    public GPT2Model(GPT2Config config) {
        this.config = config;
        tokenTable = new Embedding(config.vocabSize(), config.nEmbd());
        wte = addChildBlock("wte", tokenTable);
        wpe = addChildBlock("wpe", new Embedding(config.nPositions(), config.nEmbd()));
        List<GPT2Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.nLayer(); i++) {
            blocks.add(new GPT2Block(config, i));
        }
        h = addChildBlock("h", new ModuleList<>(blocks)).asList();
        ln_f = addChildBlock("ln_f", new LayerNorm(config.nEmbd(), config.layerNormEpsilon()));
    }

    /**
     * The token table {@code wte} as built, for the tied LM head (even when an adapter wraps
     * {@code wte}).
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
     * @param params passed through to the blocks
     * @return {@code [B, T, H]}
     */
    NDArray hiddenStates(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache,
            boolean training, PairList<String, Object> params) {
        NDArray tokens = wte.forward(ps, new NDList(ids), training, params).head();
        if (inputExtension != null) {
            ModelInputs extended = extendInputs(new ModelInputs(tokens, mask, positions, null));
            tokens = extended.embeddings();
            mask = extended.attentionMask();
            positions = extended.positionIds();
        }
        NDArray places = wpe.forward(ps, new NDList(positions), training, params).head();
        NDArray bias = CausalAttentionMask.bias(mask, tokens.getShape().get(1));
        NDArray last = DecoderStack.run(ps, h, tokens.add(places), new NDList(bias), cache, training, params);
        return ln_f.forward(ps, new NDList(last), training, params).head();
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
        return new Shape[] {inputShapes[0].add(config.nEmbd())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = new Shape(1, 1);
        Shape hidden = new Shape(1, 1, config.nEmbd());
        wte.initialize(manager, dataType, ids);
        wpe.initialize(manager, dataType, ids);
        for (GPT2Block block : h) {
            block.initialize(manager, dataType, hidden, new Shape(1, 1, 1, 1));
        }
        ln_f.initialize(manager, dataType, hidden);
    }
}

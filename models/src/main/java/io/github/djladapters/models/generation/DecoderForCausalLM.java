package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.ProjectionLayout;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import io.github.djladapters.runtime.architecture.OutputEmbeddingsModel;
import java.util.Optional;

/**
 * The shape every causal language model of this module shares: a {@link DecoderModel} and a head
 * over its last hidden states (by default logits over the tied token table), built from a config of
 * type {@code C}. The subclass declares the decoder (and an untied head) as fields under their
 * checkpoint names, returns the decoder from {@link #decoder()}, and overrides {@link #headLogits}
 * for an untied head.
 *
 * <p>The block's forward takes {@code input_ids [B, T]}, optionally {@code attention_mask [B, T]}
 * and {@code position_ids [B, T]} (counted over tokens when absent), and returns logits
 * {@code [B, T, vocab]}. Input extensions (prompt tuning) are installed on the decoder; an
 * {@link OutputEmbeddingsModel} hook (an invertible adapter's inverse) runs on the final hidden
 * states before the head.
 *
 * @param <C> the architecture's config type
 */
public abstract class DecoderForCausalLM<C> extends AbstractBlock
        implements CausalLanguageModel, InputExtendingModel, OutputEmbeddingsModel {

    private final C config;
    private final int numLayers;
    private final int vocabSize;
    private OutputEmbeddingsInput outputEmbeddingsInput;

    /**
     * An uninitialised model of the given size; the subclass adds its blocks.
     *
     * @param config the architecture
     * @param numLayers the number of decoder layers
     * @param vocabSize the number of token ids the logits cover
     */
    protected DecoderForCausalLM(C config, int numLayers, int vocabSize) {
        this.config = config;
        this.numLayers = numLayers;
        this.vocabSize = vocabSize;
    }

    /**
     * The architecture.
     *
     * @return the config the model was built from
     */
    public final C config() {
        return config;
    }

    @Override
    public final int numLayers() {
        return numLayers;
    }

    @Override
    public final int vocabSize() {
        return vocabSize;
    }

    /**
     * The decoder, as registered under its checkpoint name.
     *
     * @return the decoder
     */
    protected abstract DecoderModel decoder();

    /**
     * The logits of hidden states: by default {@code h W^T} over the decoder's token table.
     *
     * @param ps the parameter store
     * @param hidden the final hidden states {@code [B, T, H]}
     * @param training whether this is a training pass
     * @param params passed through to the head
     * @return {@code [B, T, vocab]}
     */
    protected NDArray headLogits(ParameterStore ps, NDArray hidden, boolean training,
            PairList<String, Object> params) {
        return LanguageModelHead.tiedLogits(ps, hidden, decoder().tokenTable(), training);
    }

    @Override
    public void setInputExtension(InputExtension extension) {
        decoder().setInputExtension(extension);
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return decoder().inputExtension();
    }

    @Override
    public void setOutputEmbeddingsInput(OutputEmbeddingsInput hook) {
        outputEmbeddingsInput = hook;
    }

    @Override
    public Optional<OutputEmbeddingsInput> outputEmbeddingsInput() {
        return Optional.ofNullable(outputEmbeddingsInput);
    }

    @Override
    public NDArray logits(ParameterStore ps, NDArray inputIds, NDArray attentionMask, NDArray positionIds,
            KeyValueCache cache, boolean lastPositionOnly) {
        return logits(ps, inputIds, attentionMask, positionIds, cache, lastPositionOnly, false, null);
    }

    private NDArray logits(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache,
            boolean lastPositionOnly, boolean training, PairList<String, Object> params) {
        return ForwardScope.run(new NDList(ids), training, scope -> {
            NDArray hidden = decoder().hiddenStates(ps, ids, mask, positions, cache, training, params);
            if (lastPositionOnly) {
                hidden = LanguageModelHead.lastPosition(hidden);
            }
            return headLogits(ps, beforeOutputEmbeddings(ps, hidden, training), training, params);
        });
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        try (ForwardScope scope = ForwardScope.open(inputs.get(0).getManager(), training)) {
            NDList causal = LanguageModelHead.causalInputs(inputs, scope.manager());
            return new NDList(logits(ps, causal.get(0), causal.get(1), causal.get(2), null, false, training, params));
        }
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        decoder().initialize(manager, dataType, new Shape(1, 1));
    }

    /**
     * Initialises the parameters, then keeps the projection weights (and a tied head's token table)
     * in the layout libtorch multiplies fastest at decode shapes ({@link ProjectionLayout}); loading
     * and merging keep that layout.
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        ProjectionLayout.storeTransposed(this, tiedHead() ? decoder().tokenTable().weight() : null);
    }

    /**
     * Whether {@link #headLogits} multiplies with the decoder's token table; an untied head says false.
     *
     * @return true by default
     */
    protected boolean tiedHead() {
        return true;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(vocabSize())};
    }
}

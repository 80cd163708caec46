package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import java.util.List;
import java.util.Optional;

/**
 * The T5 encoder alone ({@code T5EncoderModel}): {@code shared} and {@code encoder}, as used for
 * sentence embeddings and encoder-only fine-tuning. It reads the same checkpoints as
 * {@link T5ForConditionalGeneration} (decoder keys are then reported as unexpected).
 *
 * <p>{@link #forward} takes {@code input_ids [B, S]} and optionally {@code attention_mask [B, S]},
 * and returns the encoder output {@code [B, S, d_model]}.
 *
 * <p>Its adapter declaration binds the encoder blocks ({@code encoder.block.N}: self-attention,
 * feed-forward, their pre-norms), so that role-based adapter selection reaches the encoder, which
 * {@link T5ForConditionalGeneration}'s declaration (bound to the decoder blocks) reaches only by
 * module path. As there, the declared list {@link #encoderLayers} is the encoder's own
 * {@code block} list, and module paths read {@code encoder.block.N...}. Prompt tuning and P-tuning
 * put their virtual tokens before the input embeddings and ones before the attention mask, as PEFT's
 * {@code FEATURE_EXTRACTION} model does; the output then has the virtual positions first
 * ({@code [B, n + S, d_model]}).
 */
@AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.PROMPT_TUNING})
public class T5EncoderModel extends AbstractBlock implements InputExtendingModel {

    @Embeddings Block shared;
    T5EncoderStack encoder;
    /** The encoder's {@code block} list, declared here so that the stack stays free of roles. */
    @Layers List<T5EncoderBlock> encoderLayers;

    private final T5Config config;
    private final T5PromptedEncoder promptedEncoder = new T5PromptedEncoder();
    private InputExtension inputExtension;

    /**
     * An uninitialised encoder model.
     *
     * @param config the architecture
     */
    public T5EncoderModel(T5Config config) {
        this.config = config;
        shared = addChildBlock("shared", new Embedding(config.vocabSize(), config.dModel()));
        encoder = addChildBlock("encoder", new T5EncoderStack(config));
        encoderLayers = encoder.block;
    }

    /**
     * The architecture.
     *
     * @return the config
     */
    public T5Config config() {
        return config;
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
        try (ForwardScope scope = ForwardScope.open(ids.getManager(), training)) {
            NDArray mask = inputs.size() > 1 ? inputs.get(1) : scope.manager().ones(ids.getShape(), DataType.INT64);
            T5PromptedEncoder.Encoded encoded = promptedEncoder.encode(this, ps, shared, encoder, ids, mask, training,
                    params);
            if (encoded.mask() != mask) {
                encoded.mask().attach(scope.manager()); // the extended mask ends with the call
            }
            return new NDList(encoded.hidden());
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.dModel())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        shared.initialize(manager, dataType, new Shape(1, 1));
        encoder.initialize(manager, dataType, new Shape(1, 1, config.dModel()));
    }
}

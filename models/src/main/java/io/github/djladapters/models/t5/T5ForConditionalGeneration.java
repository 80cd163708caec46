package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.generation.EncoderDecoderCache;
import io.github.djladapters.models.generation.Seq2SeqLanguageModel;
import io.github.djladapters.runtime.architecture.EncoderDecoderModel;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import java.util.List;
import java.util.Optional;

/**
 * T5 with its language-model head ({@code T5ForConditionalGeneration}): the token embedding
 * {@code shared}, the {@code encoder} and {@code decoder} stacks and {@code lm_head}, or logits over
 * {@code shared} when the head is tied; the decoder output is scaled by {@code d_model^-0.5} when
 * {@code scale_decoder_outputs} is set (transformers 5.x semantics, see {@link T5Config}). Module paths and checkpoint keys are Hugging Face's
 * ({@code decoder.block.0.layer.1.EncDecAttention.q.weight}), so PEFT adapters map one to one.
 *
 * <p>{@link #forward} takes {@code input_ids [B, S]}, {@code attention_mask [B, S]},
 * {@code decoder_input_ids [B, T]} and optionally {@code decoder_attention_mask [B, T]} (with two
 * inputs, {@code input_ids} and {@code decoder_input_ids}, nothing is masked), and returns logits
 * {@code [B, T, vocab]}. Generate with {@link io.github.djladapters.models.generation.Seq2SeqGenerator}.
 *
 * <h2>Adapter declaration</h2>
 *
 * <p>The DSL binds one {@code @Layers} list per {@code @AdaptableModel}, and a T5 has two stacks. The
 * declared layers are the decoder blocks, because they are the ones with every role: self-attention
 * ({@code layer.0.SelfAttention}, {@code @PreSelfAttention} on its {@code layer_norm}),
 * cross-attention ({@code layer.1.EncDecAttention} with {@code @CrossAttention} and its own q/k/v/o,
 * {@code @PreCrossAttention} on {@code layer.1.layer_norm}) and feed-forward ({@code wi} or
 * {@code wi_1}, {@code wo}, {@code @PreFfn} on {@code layer.2.layer_norm}). The encoder blocks are
 * reached by module path, as PEFT reaches them: a LoRA with {@code target_modules = ["q", "v"]}
 * wraps q and v of the encoder self-attention, the decoder self-attention and the decoder
 * cross-attention alike, while role-based selection ({@code attn_matrices}) applies to the decoder
 * blocks. For role-based adapters on the encoder, bind {@link T5EncoderModel}, whose declared layers
 * are the encoder blocks.
 *
 * <p>The stacks themselves carry no roles, so that walking either one never finds a second
 * {@code @Layers}; the declared list {@link #decoderLayers} is the decoder's own {@code block} list,
 * and module paths are read off the block tree ({@code decoder.block.N...}). Declared:
 * {@link AdapterMethod#LORA} (and IA3), and {@link AdapterMethod#PREFIX_TUNING} with PEFT's
 * sequence-to-sequence semantics ({@link EncoderDecoderModel}): the prefix reaches the decoder's
 * self-attention only, as it does in PEFT, where the encoder does not read {@code past_key_values}.
 * {@link AdapterMethod#PROMPT_TUNING} (and P-tuning) is declared with PEFT's sequence-to-sequence
 * semantics too ({@link InputExtendingModel}, applied by {@link T5PromptedEncoder}): the virtual
 * tokens go before the encoder's input embeddings and the encoder's attention mask, which the
 * decoder's cross-attention then uses; the decoder's input is untouched.
 *
 * <pre>{@code
 * T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(Path.of("flan-t5-small"), manager);
 * AdapterModel<T5ForConditionalGeneration> peft = Adapters.init(t5);
 * peft.addAdapter("summarize", LoRAConfig.builder().r(8).targetModules("q", "v").build());
 * }</pre>
 */
@AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING, AdapterMethod.PROMPT_TUNING})
public class T5ForConditionalGeneration extends AbstractBlock
        implements Seq2SeqLanguageModel, EncoderDecoderModel, InputExtendingModel {

    @Embeddings Block shared;
    T5EncoderStack encoder;
    T5DecoderStack decoder;
    Block lm_head;
    /** The decoder's {@code block} list, declared here so that the stacks stay free of roles. */
    @Layers List<T5DecoderBlock> decoderLayers;

    private final T5Config config;
    private final Embedding sharedTable;
    private final T5PromptedEncoder promptedEncoder = new T5PromptedEncoder();
    private InputExtension inputExtension;

    /**
     * An uninitialised model.
     *
     * @param config the architecture
     */
    public T5ForConditionalGeneration(T5Config config) {
        this.config = config;
        sharedTable = new Embedding(config.vocabSize(), config.dModel());
        shared = addChildBlock("shared", sharedTable);
        encoder = addChildBlock("encoder", new T5EncoderStack(config));
        decoder = addChildBlock("decoder", new T5DecoderStack(config));
        if (!config.tieWordEmbeddings()) {
            lm_head = addChildBlock("lm_head", T5Attention.linear(config.vocabSize()));
        }
        decoderLayers = decoder.block;
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
    public int encoderLayerCount() {
        return config.numLayers();
    }

    @Override
    public int numDecoderLayers() {
        return config.numDecoderLayers();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int decoderStartTokenId() {
        return config.decoderStartTokenId();
    }

    @Override
    public void setInputExtension(InputExtension extension) {
        this.inputExtension = extension;
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return Optional.ofNullable(inputExtension);
    }

    /**
     * Runs the encoder; with prompt tuning the output has the virtual positions first
     * ({@code [B, n + S, H]}), and {@link #decoderLogits} given it and the same mask attends with the
     * extended mask.
     */
    @Override
    public NDArray encode(ParameterStore ps, NDArray inputIds, NDArray attentionMask) {
        return promptedEncoder.encodeForDecoding(this, ps, shared, encoder, inputIds, attentionMask).hidden();
    }

    @Override
    public NDArray decoderLogits(ParameterStore ps, NDArray decoderInputIds, NDArray encoderHidden,
            NDArray encoderMask, EncoderDecoderCache cache, boolean lastPositionOnly) {
        return logits(ps, decoderInputIds, null, encoderHidden, promptedEncoder.maskFor(encoderHidden, encoderMask),
                cache, lastPositionOnly, false, null);
    }

    private NDArray logits(ParameterStore ps, NDArray ids, NDArray decoderMask, NDArray encoderHidden,
            NDArray encoderMask, EncoderDecoderCache cache, boolean lastPositionOnly, boolean training,
            PairList<String, Object> params) {
        NDList inputs = new NDList(ids, encoderHidden, encoderMask);
        if (decoderMask != null) {
            inputs.add(decoderMask);
        }
        return ForwardScope.run(inputs, training, scope -> {
            NDArray embeddings = shared.forward(ps, new NDList(ids), training, params).head();
            NDArray hidden = decoder.hiddenStates(ps, embeddings, decoderMask, encoderHidden, encoderMask, cache,
                    training, params);
            if (lastPositionOnly) {
                hidden = hidden.get(":, " + (hidden.getShape().get(1) - 1) + ":, :");
            }
            if (config.scaleDecoderOutputs()) {
                hidden = Scalars.mul(hidden, Math.pow(config.dModel(), -0.5));
            }
            if (lm_head != null) {
                return lm_head.forward(ps, new NDList(hidden), training, params).head();
            }
            NDArray table = ps.getValue(sharedTable.weight(), hidden.getDevice(), training);
            return Linear.linear(hidden, table).head(); // h W^T without copying the transposed table
        });
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        boolean masked = inputs.size() > 2;
        NDArray decoderIds = inputs.get(masked ? 2 : 1);
        try (ForwardScope scope = ForwardScope.open(ids.getManager(), training)) {
            NDArray mask = masked ? inputs.get(1) : scope.manager().ones(ids.getShape(), DataType.INT64);
            NDArray decoderMask = inputs.size() > 3 ? inputs.get(3) : null;
            T5PromptedEncoder.Encoded encoded = promptedEncoder.encode(this, ps, shared, encoder, ids, mask, training,
                    params);
            encoded.hidden().attach(scope.manager());
            if (encoded.mask() != mask) {
                encoded.mask().attach(scope.manager());
            }
            return new NDList(logits(ps, decoderIds, decoderMask, encoded.hidden(), encoded.mask(), null, false,
                    training, params));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape decoderIds = inputShapes[inputShapes.length > 2 ? 2 : 1];
        return new Shape[] {decoderIds.add(config.vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, config.dModel());
        shared.initialize(manager, dataType, new Shape(1, 1));
        encoder.initialize(manager, dataType, hidden);
        decoder.initialize(manager, dataType, hidden, hidden, new Shape(1, 1));
        if (lm_head != null) {
            lm_head.initialize(manager, dataType, new Shape(1, config.dModel()));
        }
    }
}

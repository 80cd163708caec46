package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.models.generation.DecoderForCausalLM;
import io.github.djladapters.models.generation.DecoderModel;
import io.github.djladapters.models.generation.KeyValueCache;

/**
 * A Llama, Mistral or Qwen2 causal language model ({@code LlamaForCausalLM} and its siblings): the
 * decoder {@code model} and {@code lm_head}, or logits over the tied {@code embed_tokens} when
 * {@code tie_word_embeddings} is set. Checkpoint keys read {@code model.layers.0.self_attn.q_proj.weight}
 * as in Hugging Face.
 *
 * <p>{@link #forward} takes {@code input_ids [B, T]}, optionally {@code attention_mask [B, T]} and
 * {@code position_ids [B, T]} (counted over tokens when absent), and returns logits
 * {@code [B, T, vocab]}. Generate with {@link io.github.djladapters.models.generation.Generator}.
 *
 * <pre>{@code
 * LlamaForCausalLM llama = LlamaModels.fromCheckpoint(Path.of("TinyLlama"), manager);
 * List<int[]> out = new Generator(llama).generate(manager, List.of(prompt), GenerationConfig.greedy(32));
 * }</pre>
 */
@AdaptableModel(methods = {
    AdapterMethod.LORA,
    AdapterMethod.BOTTLENECK,
    AdapterMethod.PREFIX_TUNING,
    AdapterMethod.ADAPTION_PROMPT,
    AdapterMethod.PROMPT_TUNING,
    AdapterMethod.REFT,
    AdapterMethod.INVERTIBLE
})
public class LlamaForCausalLM extends DecoderForCausalLM<LlamaConfig> {

    LlamaModel model;
    Block lm_head;

    private final LlamaDecodeStep decodeStep = new LlamaDecodeStep(this);

    /**
     * An uninitialised model.
     *
     * @param config the architecture
     */
    public LlamaForCausalLM(LlamaConfig config) {
        super(config, config.numHiddenLayers(), config.vocabSize());
        model = addChildBlock("model", new LlamaModel(config));
        if (!config.tieWordEmbeddings()) {
            lm_head = addChildBlock("lm_head", LlamaAttention.linear(config.vocabSize(), false));
        }
    }

    /**
     * As {@link DecoderForCausalLM#logits}; a cached step for the last position of the plain model
     * (no adapter applying unmerged, no prefix, prompt or hook; outside training) runs as one fused
     * TorchScript call ({@link LlamaDecodeStep}, which lists where it applies), with the same numbers.
     */
    @Override
    public NDArray logits(ParameterStore ps, NDArray inputIds, NDArray attentionMask, NDArray positionIds,
            KeyValueCache cache, boolean lastPositionOnly) {
        if (lastPositionOnly && cache != null && attentionMask != null && positionIds != null) {
            NDArray fused = decodeStep.logits(inputIds, attentionMask, positionIds, cache);
            if (fused != null) {
                return fused;
            }
        }
        return super.logits(ps, inputIds, attentionMask, positionIds, cache, lastPositionOnly);
    }

    /**
     * How many cached steps ran as one fused TorchScript call ({@link LlamaDecodeStep}) since the model
     * was built: for tests and diagnostics.
     *
     * @return the count
     */
    public long fusedDecodeSteps() {
        return decodeStep.steps();
    }

    @Override
    protected DecoderModel decoder() {
        return model;
    }

    @Override
    protected NDArray headLogits(ParameterStore ps, NDArray hidden, boolean training,
            PairList<String, Object> params) {
        return lm_head == null ? super.headLogits(ps, hidden, training, params)
                : lm_head.forward(ps, new NDList(hidden), training, params).head();
    }

    @Override
    protected boolean tiedHead() {
        return lm_head == null;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initializeChildBlocks(manager, dataType, inputShapes);
        if (lm_head != null) {
            lm_head.initialize(manager, dataType, new Shape(1, config().hiddenSize()));
        }
    }
}

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
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdapterModel;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.LanguageModelHead;
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
@AdapterModel(methods = {
    AdapterMethod.LORA,
    AdapterMethod.BOTTLENECK,
    AdapterMethod.PREFIX_TUNING,
    AdapterMethod.ADAPTION_PROMPT,
    AdapterMethod.PROMPT_TUNING,
    AdapterMethod.REFT
})
public class LlamaForCausalLM extends AbstractBlock implements CausalLanguageModel, InputExtendingModel {

    LlamaModel model;
    Block lm_head;

    private final LlamaConfig config;

    /**
     * An uninitialised model.
     *
     * @param config the architecture
     */
    public LlamaForCausalLM(LlamaConfig config) {
        this.config = config;
        model = addChildBlock("model", new LlamaModel(config));
        if (!config.tieWordEmbeddings()) {
            lm_head = addChildBlock("lm_head", LlamaAttention.linear(config.vocabSize(), false));
        }
    }

    /**
     * The architecture.
     *
     * @return the config
     */
    public LlamaConfig config() {
        return config;
    }

    @Override
    public void setInputExtension(InputExtension extension) {
        model.setInputExtension(extension);
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return model.inputExtension();
    }

    @Override
    public int numLayers() {
        return config.numHiddenLayers();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public NDArray logits(ParameterStore ps, NDArray inputIds, NDArray attentionMask, NDArray positionIds,
            KeyValueCache cache, boolean lastPositionOnly) {
        return logits(ps, inputIds, attentionMask, positionIds, cache, lastPositionOnly, false, null);
    }

    private NDArray logits(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache,
            boolean lastPositionOnly, boolean training, PairList<String, Object> params) {
        NDManager caller = ids.getManager();
        try (ForwardScope scope = ForwardScope.open(caller, training)) {
            NDArray hidden = model.hiddenStates(ps, ids, mask, positions, cache, training, params);
            if (lastPositionOnly) {
                hidden = LanguageModelHead.lastPosition(hidden);
            }
            NDArray logits;
            if (lm_head != null) {
                logits = lm_head.forward(ps, new NDList(hidden), training, params).head();
            } else {
                logits = LanguageModelHead.tiedLogits(ps, hidden, model.tokenTable(), training);
            }
            logits.attach(caller);
            return logits;
        }
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
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        model.initialize(manager, dataType, new Shape(1, 1));
        if (lm_head != null) {
            lm_head.initialize(manager, dataType, new Shape(1, config.hiddenSize()));
        }
    }
}

package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
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
 * GPT-2 with its language-model head ({@code GPT2LMHeadModel}): the {@code transformer} and logits
 * {@code h W_te^T} over the tied token table, so checkpoint keys read
 * {@code transformer.h.0.attn.c_attn.weight} as in Hugging Face, with Conv1D weights {@code [in, out]}.
 *
 * <p>{@link #forward} takes {@code input_ids [B, T]}, optionally {@code attention_mask [B, T]} and
 * {@code position_ids [B, T]} (counted over tokens when absent), and returns logits
 * {@code [B, T, vocab]}. Generate with {@link io.github.djladapters.models.generation.Generator}.
 *
 * <pre>{@code
 * GPT2LMHeadModel gpt2 = GPT2Models.fromCheckpoint(Path.of("gpt2"), manager);
 * NDArray logits = gpt2.forward(new ParameterStore(manager, false), new NDList(ids), false).head();
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
public class GPT2LMHeadModel extends AbstractBlock implements CausalLanguageModel, InputExtendingModel {

    GPT2Model transformer;

    private final GPT2Config config;

    /**
     * An uninitialised model.
     *
     * @param config the architecture
     */
    public GPT2LMHeadModel(GPT2Config config) {
        this.config = config;
        transformer = addChildBlock("transformer", new GPT2Model(config));
    }

    /**
     * The architecture.
     *
     * @return the config
     */
    public GPT2Config config() {
        return config;
    }

    @Override
    public void setInputExtension(InputExtension extension) {
        transformer.setInputExtension(extension);
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return transformer.inputExtension();
    }

    @Override
    public int numLayers() {
        return config.nLayer();
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
            NDArray hidden = transformer.hiddenStates(ps, ids, mask, positions, cache, training, params);
            if (lastPositionOnly) {
                hidden = LanguageModelHead.lastPosition(hidden);
            }
            NDArray logits = LanguageModelHead.tiedLogits(ps, hidden, transformer.tokenTable(), training);
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
        transformer.initialize(manager, dataType, new Shape(1, 1));
    }
}

package io.github.djladapters.models.gpt2;

import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.annotations.AdaptableModel;
import io.github.djladapters.models.generation.DecoderForCausalLM;
import io.github.djladapters.models.generation.DecoderModel;
import io.github.djladapters.runtime.architecture.EmbeddingsOutputModel;
import java.util.Optional;

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
@AdaptableModel(methods = {
    AdapterMethod.LORA,
    AdapterMethod.BOTTLENECK,
    AdapterMethod.PREFIX_TUNING,
    AdapterMethod.ADAPTION_PROMPT,
    AdapterMethod.PROMPT_TUNING,
    AdapterMethod.REFT,
    AdapterMethod.INVERTIBLE
})
public class GPT2LMHeadModel extends DecoderForCausalLM<GPT2Config> implements EmbeddingsOutputModel {

    GPT2Model transformer;

    /**
     * An uninitialised model.
     *
     * @param config the architecture
     */
    public GPT2LMHeadModel(GPT2Config config) {
        super(config, config.nLayer(), config.vocabSize());
        transformer = addChildBlock("transformer", new GPT2Model(config));
    }

    @Override
    protected DecoderModel decoder() {
        return transformer;
    }

    /** Hooks the sum of token and position embeddings, where the Adapters library hooks GPT-2's {@code drop}. */
    @Override
    public void setEmbeddingsOutput(EmbeddingsOutput hook) {
        transformer.setEmbeddingsOutput(hook);
    }

    @Override
    public Optional<EmbeddingsOutput> embeddingsOutput() {
        return Optional.ofNullable(transformer.embeddingsOutput());
    }
}

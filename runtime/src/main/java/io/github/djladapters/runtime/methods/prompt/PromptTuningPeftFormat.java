package io.github.djladapters.runtime.methods.prompt;

import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningPeftFormat;
import java.util.List;
import java.util.Set;

/** Prompt tuning in PEFT's folder layout: {@code PROMPT_TUNING}, one tensor {@code prompt_embeddings}. */
final class PromptTuningPeftFormat extends AbstractPeftFormat<PromptTuningConfig>
        implements PromptLearningPeftFormat<PromptTuningConfig> {

    PromptTuningPeftFormat() {
        super("PROMPT_TUNING", PromptLearningPeftFormat.withSharedKeys("""
                "prompt_tuning_init": "RANDOM", "prompt_tuning_init_text": null, "tokenizer_kwargs": null,
                "tokenizer_name_or_path": null"""));
    }

    @Override
    public Set<String> informationalKeys() {
        // how the table started: the saved table is what counts
        return Set.of("tokenizer_kwargs");
    }

    @Override
    public PromptTuningConfig configToSave(PromptTuningConfig config, BoundModel model,
            List<AdapterAttachment> attachments, String name) {
        int submodules = PromptWeightsFactory.submodules(model, config.numTransformerSubmodules(), "prompt tuning");
        return config.toBuilder().numTransformerSubmodules(submodules).build().saved(
                PromptWeightsFactory.tokenDim(model, config.tokenDim(), "prompt tuning"),
                PromptWeightsFactory.numLayers(model), config.numAttentionHeads());
    }
}

package io.github.djladapters.runtime.methods.prompt;

import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningPeftFormat;
import java.util.List;

/**
 * P-tuning in PEFT's folder layout: {@code P_TUNING}, one tensor {@code prompt_embeddings} holding the
 * encoder's output (PEFT does not save the encoder).
 */
final class PTuningPeftFormat extends AbstractPeftFormat<PromptEncoderConfig>
        implements PromptLearningPeftFormat<PromptEncoderConfig> {

    PTuningPeftFormat() {
        super("P_TUNING", PromptLearningPeftFormat.withSharedKeys("""
                "encoder_dropout": 0.0, "encoder_num_layers": 2, "encoder_reparameterization_type": "MLP",
                "encoder_hidden_size": null"""));
    }

    @Override
    public PromptEncoderConfig configToSave(PromptEncoderConfig config, BoundModel model,
            List<AdapterAttachment> attachments, String name) {
        int submodules = PromptWeightsFactory.submodules(model, config.numTransformerSubmodules(), "P-tuning");
        return config.toBuilder().numTransformerSubmodules(submodules).build().saved(
                PromptWeightsFactory.tokenDim(model, config.tokenDim(), "P-tuning"), PromptWeightsFactory.numLayers(model),
                config.numAttentionHeads());
    }
}

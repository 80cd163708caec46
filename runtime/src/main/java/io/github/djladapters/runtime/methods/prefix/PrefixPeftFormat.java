package io.github.djladapters.runtime.methods.prefix;

import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningPeftFormat;
import java.util.List;

/**
 * Prefix tuning in PEFT's folder layout: {@code PREFIX_TUNING}, one tensor {@code prompt_embeddings}
 * holding the keys and values (with {@code prefix_projection}, the projection's output).
 */
final class PrefixPeftFormat extends AbstractPeftFormat<PrefixTuningConfig>
        implements PromptLearningPeftFormat<PrefixTuningConfig> {

    PrefixPeftFormat() {
        super("PREFIX_TUNING", PromptLearningPeftFormat.withSharedKeys("""
                "encoder_hidden_size": null, "init_weights": null, "prefix_projection": false"""));
    }

    @Override
    public PrefixTuningConfig configToSave(PrefixTuningConfig config, BoundModel model,
            List<AdapterAttachment> attachments, String name) {
        KeyValueAttention first = PrefixTuningMethod.attention(model).get(0);
        PrefixLayout layout = PrefixLayout.of(model, config);
        return config.saved(first.keyValueHeads() * first.headDim(), layout, first.keyValueHeads());
    }
}

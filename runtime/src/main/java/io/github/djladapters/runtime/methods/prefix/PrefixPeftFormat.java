package io.github.djladapters.runtime.methods.prefix;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.PeftKeys;
import io.github.djladapters.runtime.methods.virtualtokens.PromptEmbeddingsKey;
import java.util.List;

/**
 * Prefix tuning in PEFT's folder layout: {@code PREFIX_TUNING}, one tensor {@code prompt_embeddings}
 * holding the keys and values (with {@code prefix_projection}, the projection's output).
 */
final class PrefixPeftFormat implements PeftFormat<PrefixTuningConfig> {

    @Override
    public String peftType() {
        return "PREFIX_TUNING";
    }

    @Override
    public ObjectNode keys() {
        return PeftKeys.of("PREFIX_TUNING", """
                "encoder_hidden_size": null, "init_weights": null, "modules_to_save": null,
                "num_attention_heads": null, "num_layers": null, "num_transformer_submodules": null,
                "num_virtual_tokens": null, "prefix_projection": false, "token_dim": null""");
    }

    @Override
    public PrefixTuningConfig configToSave(PrefixTuningConfig config, BoundModel model,
            List<AdapterAttachment> attachments, String name) {
        KeyValueAttention first = PrefixTuningMethod.attention(model).get(0);
        PrefixLayout layout = PrefixLayout.of(model, config);
        return config.saved(first.keyValueHeads() * first.headDim(), layout, first.keyValueHeads());
    }

    @Override
    public String fileKey(String key) {
        return PromptEmbeddingsKey.fileKey(key);
    }

    @Override
    public String internalKey(String fileKey) {
        return PromptEmbeddingsKey.internalKey(fileKey);
    }
}

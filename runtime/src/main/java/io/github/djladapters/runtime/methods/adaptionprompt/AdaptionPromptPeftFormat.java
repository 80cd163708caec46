package io.github.djladapters.runtime.methods.adaptionprompt;

import io.github.djladapters.runtime.methods.AbstractPeftFormat;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import java.util.List;

/**
 * Adaption prompts in PEFT's layout: {@code peft_type} {@code ADAPTION_PROMPT}, tensors
 * {@code base_model.model.<attention path>.adaption_prompt} and {@code .adaption_gate}.
 */
final class AdaptionPromptPeftFormat extends AbstractPeftFormat<AdaptionPromptConfig> {

    AdaptionPromptPeftFormat() {
        super("ADAPTION_PROMPT", "\"adapter_layers\": null, \"adapter_len\": null, \"target_modules\": null");
    }

    /** PEFT needs {@code target_modules}: the attention module's own name, such as {@code self_attn}. */
    @Override
    public AdaptionPromptConfig configToSave(AdaptionPromptConfig config, BoundModel model,
            List<AdapterAttachment> attachments, String name) {
        if (config.targetModules() != null || attachments.isEmpty()) {
            return config;
        }
        String path = attachments.get(0).modulePath();
        return new AdaptionPromptConfig(config.adapterLen(), config.adapterLayers(),
                path.substring(path.lastIndexOf('.') + 1));
    }
}

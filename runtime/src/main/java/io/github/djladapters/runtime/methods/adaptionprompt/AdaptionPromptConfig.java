package io.github.djladapters.runtime.methods.adaptionprompt;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.djladapters.runtime.methods.AdapterConfig;

/**
 * LLaMA-Adapter's adaption prompts (Zhang et al., 2023), with PEFT's {@code AdaptionPromptConfig}
 * field names: in each of the top {@code adapter_layers} layers, a learned prompt of
 * {@code adapter_len} positions that the layer's queries attend to, gated by a learned scalar that
 * starts at zero.
 *
 * <pre>{@code
 * adapters.addAdapter("chat", new AdaptionPromptConfig(10, 2, null));
 * }</pre>
 *
 * @param adapterLen {@code adapter_len}: prompt positions per layer, positive
 * @param adapterLayers {@code adapter_layers}: how many layers, counted from the top, get a prompt
 * @param targetModules {@code target_modules}: the name of the attention module (PEFT's
 *     {@code self_attn} for Llama, {@code attn} for GPT-2); null for the declared self-attention. When
 *     set, the declared self-attention's module path must end with it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AdaptionPromptConfig(
        @JsonProperty("adapter_len") int adapterLen,
        @JsonProperty("adapter_layers") int adapterLayers,
        @JsonProperty("target_modules") String targetModules)
        implements AdapterConfig {

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "ADAPTION_PROMPT";
    }

    @Override
    public String architecture() {
        return "adaption_prompt";
    }
}

package io.github.djladapters.runtime.methods.prompt;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Prompt tuning (PEFT's {@code PromptTuningConfig}, {@code peft_type: PROMPT_TUNING}): {@code
 * num_virtual_tokens} learned embeddings put before the word embeddings of every input; the attention
 * mask, position ids and token type ids grow with them as PEFT does. Saved as PEFT saves it, one
 * tensor {@code prompt_embeddings [num_virtual_tokens, token_dim]}.
 *
 * <pre>{@code
 * adapters.addAdapter("task", PromptTuningConfig.builder().numVirtualTokens(20).build());
 * adapters.addAdapter("text", PromptTuningConfig.builder().numVirtualTokens(8)
 *         .initText("Classify the sentiment", Path.of("tokenizer.json")).build());
 * }</pre>
 *
 * <p>The fields shared with the other prompt-learning methods are {@link PromptLearningConfig}'s;
 * the defaults are the {@link Builder}'s.
 *
 * @param numVirtualTokens how many virtual tokens, at least 1 (default 20)
 * @param promptTuningInit how the embeddings start (default RANDOM)
 * @param promptTuningInitText the text for {@link PromptTuningInit#TEXT}
 * @param tokenizerNameOrPath a {@code tokenizer.json} file or a folder holding one, for {@code TEXT}
 * @param tokenDim the embedding width; the model's when null (filled in when saved)
 * @param numLayers the model's layer count; filled in when saved
 * @param numAttentionHeads the model's attention heads; written as PEFT writes it, not used
 * @param numTransformerSubmodules 1; for encoder-decoder models (T5) 2 by default, PEFT's
 *     {@code SEQ_2_SEQ_LM} layout: a table of {@code 2 n} rows whose first {@code n} go before the encoder's input
 * @param taskType PEFT's {@code task_type} (such as {@code CAUSAL_LM}, {@code FEATURE_EXTRACTION},
 *     {@code SEQ_CLS}), which picks the PEFT model class that applies the prompts when Python loads
 *     the adapter; null to leave it out
 * @param inferenceMode true in saved files: the adapter is the table of prompts
 * @param modulesToSave PEFT's {@code modules_to_save}, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true) // PEFT's other keys are checked by the file reader
@JsonDeserialize(builder = PromptTuningConfig.Builder.class)
public record PromptTuningConfig(
        @JsonProperty("num_virtual_tokens") int numVirtualTokens,
        @JsonProperty("prompt_tuning_init") PromptTuningInit promptTuningInit,
        @JsonProperty("prompt_tuning_init_text") String promptTuningInitText,
        @JsonProperty("tokenizer_name_or_path") String tokenizerNameOrPath,
        @JsonProperty("token_dim") Integer tokenDim,
        @JsonProperty("num_layers") Integer numLayers,
        @JsonProperty("num_attention_heads") Integer numAttentionHeads,
        @JsonProperty("num_transformer_submodules") Integer numTransformerSubmodules,
        @JsonProperty("task_type") String taskType,
        @JsonProperty("inference_mode") boolean inferenceMode,
        @JsonProperty("modules_to_save") List<String> modulesToSave)
        implements PromptLearningConfig {

    /** Copies the list; {@code prompt_tuning_init} must be set. */
    public PromptTuningConfig {
        Objects.requireNonNull(promptTuningInit, "prompt_tuning_init");
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    /**
     * A builder with PEFT's defaults (20 virtual tokens, RANDOM init).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this config.
     *
     * @return a builder holding this config's values
     */
    public Builder toBuilder() {
        return new Builder().shared(this).init(promptTuningInit).promptTuningInitText(promptTuningInitText)
                .tokenizerNameOrPath(tokenizerNameOrPath);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "PROMPT_TUNING";
    }

    @Override
    public String architecture() {
        return "prompt_tuning";
    }

    /**
     * This config as PEFT saves it, with the model's dimensions filled in.
     *
     * @param dim the embedding width
     * @param layers the layer count
     * @param heads the attention heads, or null when unknown
     * @return a copy in inference mode
     */
    PromptTuningConfig saved(int dim, int layers, Integer heads) {
        return toBuilder().savedFor(dim, layers, heads).build();
    }

    /** Builds a {@link PromptTuningConfig}; also how Jackson reads one, so absent keys keep these defaults. */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Builder extends PromptLearningConfig.Builder<Builder, PromptTuningConfig> {
        private PromptTuningInit init = PromptTuningInit.RANDOM;
        private String initText;
        private String tokenizer;

        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets {@code prompt_tuning_init} (default RANDOM); use {@link #initText} for TEXT.
         *
         * @param init the initialisation
         * @return this builder
         */
        @JsonProperty("prompt_tuning_init")
        public Builder init(PromptTuningInit init) {
            this.init = init;
            return this;
        }

        /**
         * TEXT initialisation: the embeddings start as the word embeddings of {@code text}.
         *
         * @param text the text
         * @param tokenizerJson the model's {@code tokenizer.json}, or a folder holding it
         * @return this builder
         */
        public Builder initText(String text, Path tokenizerJson) {
            return init(PromptTuningInit.TEXT).promptTuningInitText(text).tokenizerNameOrPath(tokenizerJson.toString());
        }

        /**
         * Sets {@code prompt_tuning_init_text}, the text for TEXT initialisation.
         *
         * @param text the text, or null
         * @return this builder
         */
        @JsonProperty("prompt_tuning_init_text")
        public Builder promptTuningInitText(String text) {
            this.initText = text;
            return this;
        }

        /**
         * Sets {@code tokenizer_name_or_path}, the tokenizer for TEXT initialisation.
         *
         * @param tokenizer a {@code tokenizer.json} file or a folder holding one, or null
         * @return this builder
         */
        @JsonProperty("tokenizer_name_or_path")
        public Builder tokenizerNameOrPath(String tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        @Override
        public PromptTuningConfig build() {
            return new PromptTuningConfig(numVirtualTokens, init, initText, tokenizer, tokenDim, numLayers,
                    numAttentionHeads, numTransformerSubmodules, taskType, inferenceMode, modulesToSave);
        }
    }
}

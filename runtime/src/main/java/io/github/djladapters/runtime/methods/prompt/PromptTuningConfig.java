package io.github.djladapters.runtime.methods.prompt;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.List;

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
 * @param numVirtualTokens how many virtual tokens, at least 1
 * @param promptTuningInit how the embeddings start; RANDOM when null
 * @param promptTuningInitText the text for {@link PromptTuningInit#TEXT}
 * @param tokenizerNameOrPath a {@code tokenizer.json} file or a folder holding one, for {@code TEXT}
 * @param tokenDim the embedding width; the model's when null (filled in when saved)
 * @param numLayers the model's layer count; filled in when saved
 * @param numAttentionHeads the model's attention heads; written as PEFT writes it, not used
 * @param numTransformerSubmodules 1 (2 for encoder-decoder models, which this method does not take yet)
 * @param taskType PEFT's {@code task_type} (such as {@code CAUSAL_LM}, {@code FEATURE_EXTRACTION},
 *     {@code SEQ_CLS}), which picks the PEFT model class that applies the prompts when Python loads
 *     the adapter; null to leave it out
 * @param inferenceMode true in saved files: the adapter is the table of prompts
 * @param modulesToSave PEFT's {@code modules_to_save}, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true) // PEFT's other keys are checked by the file reader
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
        implements AdapterConfig {

    /** Fills defaults for absent values. */
    public PromptTuningConfig {
        promptTuningInit = promptTuningInit == null ? PromptTuningInit.RANDOM : promptTuningInit;
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    /**
     * A builder with PEFT's defaults (RANDOM init).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
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
        return new PromptTuningConfig(numVirtualTokens, promptTuningInit, promptTuningInitText, tokenizerNameOrPath,
                dim, layers, heads, numTransformerSubmodules == null ? 1 : numTransformerSubmodules, taskType, true,
                modulesToSave);
    }

    /** Builds a {@link PromptTuningConfig}. */
    public static final class Builder {
        private int numVirtualTokens = 20;
        private PromptTuningInit init = PromptTuningInit.RANDOM;
        private String initText;
        private String tokenizer;
        private String taskType;
        private List<String> modulesToSave;

        private Builder() {}

        /**
         * Sets {@code num_virtual_tokens} (default 20).
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder numVirtualTokens(int n) {
            this.numVirtualTokens = n;
            return this;
        }

        /**
         * Sets {@code prompt_tuning_init} (default RANDOM); use {@link #initText} for TEXT.
         *
         * @param init the initialisation
         * @return this builder
         */
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
        public Builder initText(String text, java.nio.file.Path tokenizerJson) {
            this.init = PromptTuningInit.TEXT;
            this.initText = text;
            this.tokenizer = tokenizerJson.toString();
            return this;
        }

        /**
         * Sets PEFT's {@code task_type}.
         *
         * @param taskType for example {@code CAUSAL_LM}
         * @return this builder
         */
        public Builder taskType(String taskType) {
            this.taskType = taskType;
            return this;
        }

        /**
         * Sets {@code modules_to_save}.
         *
         * @param modules module names, such as {@code classifier}
         * @return this builder
         */
        public Builder modulesToSave(String... modules) {
            this.modulesToSave = modules.length == 0 ? null : List.of(modules);
            return this;
        }

        /**
         * The config.
         *
         * @return a new config
         */
        public PromptTuningConfig build() {
            return new PromptTuningConfig(numVirtualTokens, init, initText, tokenizer, null, null, null, null,
                    taskType, false, modulesToSave);
        }
    }
}

package io.github.djladapters.runtime.methods.prompt;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningConfig;
import java.util.List;
import java.util.Objects;

/**
 * P-tuning (PEFT's {@code PromptEncoderConfig}, {@code peft_type: P_TUNING}): like prompt tuning, but
 * the virtual-token embeddings are the output of a small encoder (an MLP, or a bidirectional LSTM
 * then an MLP) over a learned table, which trains better. PEFT saves only the encoder's output, as
 * {@code prompt_embeddings [num_virtual_tokens, token_dim]}; an adapter loaded from a file (with
 * {@code inference_mode: true}) is that table, without the encoder.
 *
 * <pre>{@code
 * adapters.addAdapter("task", PromptEncoderConfig.builder().numVirtualTokens(20).encoderHiddenSize(128).build());
 * }</pre>
 *
 * <p>The fields shared with the other prompt-learning methods are {@link PromptLearningConfig}'s;
 * the defaults are the {@link Builder}'s.
 *
 * @param numVirtualTokens how many virtual tokens, at least 1 (default 20)
 * @param encoderReparameterizationType MLP (the default) or LSTM
 * @param encoderHiddenSize the encoder's hidden size; {@code token_dim} when null
 * @param encoderNumLayers the LSTM's layer count (default 2; PEFT's MLP always has three linears)
 * @param encoderDropout dropout between LSTM layers in training (default 0)
 * @param tokenDim the embedding width; the model's when null (filled in when saved)
 * @param numLayers the model's layer count; filled in when saved
 * @param numAttentionHeads the model's attention heads; written as PEFT writes it, not used
 * @param numTransformerSubmodules 1; for encoder-decoder models (T5) 2 by default, PEFT's
 *     {@code SEQ_2_SEQ_LM} layout: a table of {@code 2 n} rows whose first {@code n} go before the encoder's input
 * @param taskType PEFT's {@code task_type}, which picks the PEFT model class that applies the
 *     prompts when Python loads the adapter; null to leave it out
 * @param inferenceMode true in saved files: the adapter is the table of prompts, no encoder
 * @param modulesToSave PEFT's {@code modules_to_save}, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true) // PEFT's other keys are checked by the file reader
@JsonDeserialize(builder = PromptEncoderConfig.Builder.class)
public record PromptEncoderConfig(
        @JsonProperty("num_virtual_tokens") int numVirtualTokens,
        @JsonProperty("encoder_reparameterization_type") PromptEncoderReparameterization encoderReparameterizationType,
        @JsonProperty("encoder_hidden_size") Integer encoderHiddenSize,
        @JsonProperty("encoder_num_layers") int encoderNumLayers,
        @JsonProperty("encoder_dropout") double encoderDropout,
        @JsonProperty("token_dim") Integer tokenDim,
        @JsonProperty("num_layers") Integer numLayers,
        @JsonProperty("num_attention_heads") Integer numAttentionHeads,
        @JsonProperty("num_transformer_submodules") Integer numTransformerSubmodules,
        @JsonProperty("task_type") String taskType,
        @JsonProperty("inference_mode") boolean inferenceMode,
        @JsonProperty("modules_to_save") List<String> modulesToSave)
        implements PromptLearningConfig {

    /** Copies the list; {@code encoder_reparameterization_type} must be set. */
    public PromptEncoderConfig {
        Objects.requireNonNull(encoderReparameterizationType, "encoder_reparameterization_type");
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    /**
     * A builder with PEFT's defaults (20 virtual tokens, MLP, hidden size = token_dim).
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
        return new Builder().shared(this).reparameterization(encoderReparameterizationType)
                .encoderHiddenSize(encoderHiddenSize).encoderNumLayers(encoderNumLayers).encoderDropout(encoderDropout);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "P_TUNING";
    }

    @Override
    public String architecture() {
        return "p_tuning";
    }

    /**
     * This config as PEFT saves it, with the model's dimensions filled in.
     *
     * @param dim the embedding width
     * @param layers the layer count
     * @param heads the attention heads, or null when unknown
     * @return a copy in inference mode
     */
    PromptEncoderConfig saved(int dim, int layers, Integer heads) {
        return toBuilder().encoderHiddenSize(encoderHiddenSize == null ? dim : encoderHiddenSize)
                .savedFor(dim, layers, heads).build();
    }

    /** Builds a {@link PromptEncoderConfig}; also how Jackson reads one, so absent keys keep these defaults. */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Builder extends PromptLearningConfig.Builder<Builder, PromptEncoderConfig> {
        private PromptEncoderReparameterization type = PromptEncoderReparameterization.MLP;
        private Integer hidden;
        private int layers = 2;
        private double dropout;

        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets {@code encoder_reparameterization_type} (default MLP).
         *
         * @param type MLP or LSTM
         * @return this builder
         */
        @JsonProperty("encoder_reparameterization_type")
        public Builder reparameterization(PromptEncoderReparameterization type) {
            this.type = type;
            return this;
        }

        /**
         * Sets {@code encoder_hidden_size} (default null: the model's embedding width).
         *
         * @param size at least 1, or null
         * @return this builder
         */
        @JsonProperty("encoder_hidden_size")
        public Builder encoderHiddenSize(Integer size) {
            this.hidden = size;
            return this;
        }

        /**
         * Sets {@code encoder_num_layers}, the LSTM's depth (default 2).
         *
         * @param layers at least 1
         * @return this builder
         */
        @JsonProperty("encoder_num_layers")
        public Builder encoderNumLayers(int layers) {
            this.layers = layers;
            return this;
        }

        /**
         * Sets {@code encoder_dropout} (default 0).
         *
         * @param dropout in [0, 1)
         * @return this builder
         */
        @JsonProperty("encoder_dropout")
        public Builder encoderDropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        @Override
        public PromptEncoderConfig build() {
            return new PromptEncoderConfig(numVirtualTokens, type, hidden, layers, dropout, tokenDim, numLayers,
                    numAttentionHeads, numTransformerSubmodules, taskType, inferenceMode, modulesToSave);
        }
    }
}

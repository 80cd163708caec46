package io.github.djladapters.runtime.methods.prefix;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.virtualtokens.PromptLearningConfig;
import java.util.List;

/**
 * Prefix tuning (PEFT's {@code PrefixTuningConfig}, {@code peft_type: PREFIX_TUNING}): learned keys
 * and values for {@code num_virtual_tokens} positions before the real ones, in every layer's
 * self-attention; the real tokens' positions start after them. With {@code prefix_projection} the
 * keys and values are the output of a two-layer MLP (Linear, tanh, Linear) over a learned table,
 * which trains better. PEFT saves one tensor, {@code prompt_embeddings
 * [num_virtual_tokens, num_layers * 2 * token_dim]} (with the projection, its output); an adapter
 * loaded from a file ({@code inference_mode: true}) is that table.
 *
 * <pre>{@code
 * adapters.addAdapter("task", PrefixTuningConfig.builder().numVirtualTokens(20).build());
 * adapters.addAdapter("mlp", PrefixTuningConfig.builder().numVirtualTokens(20).prefixProjection(512).build());
 * }</pre>
 *
 * <p>The fields shared with the other prompt-learning methods are {@link PromptLearningConfig}'s;
 * the defaults are the {@link Builder}'s.
 *
 * @param numVirtualTokens how many prefix positions, at least 1 (default 20)
 * @param encoderHiddenSize the projection's hidden size; {@code token_dim} when null
 * @param prefixProjection whether an MLP computes the keys and values
 * @param initWeights {@code "zero"} for zero keys and values (the projection's last layer zero), or
 *     null for random
 * @param tokenDim the key/value width of one layer, {@code key_value_heads * head_dim}; the model's
 *     when null (filled in when saved)
 * @param numLayers the model's layer count (an encoder-decoder model's encoder layers, as PEFT counts);
 *     filled in when saved
 * @param numAttentionHeads the key/value heads (PEFT's value for grouped-query attention); filled in
 *     when saved
 * @param numTransformerSubmodules 1, or 2 for encoder-decoder models (T5), whose decoder
 *     self-attention takes the prefix as PEFT lays it out; the model's when null (filled in when saved)
 * @param taskType PEFT's {@code task_type}, which picks the PEFT model class that applies the
 *     prefix when Python loads the adapter; null to leave it out
 * @param inferenceMode true in saved files: the adapter is the table of keys and values
 * @param modulesToSave PEFT's {@code modules_to_save}, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true) // PEFT's other keys are checked by the file reader
@JsonDeserialize(builder = PrefixTuningConfig.Builder.class)
public record PrefixTuningConfig(
        @JsonProperty("num_virtual_tokens") int numVirtualTokens,
        @JsonProperty("encoder_hidden_size") Integer encoderHiddenSize,
        @JsonProperty("prefix_projection") boolean prefixProjection,
        @JsonProperty("init_weights") String initWeights,
        @JsonProperty("token_dim") Integer tokenDim,
        @JsonProperty("num_layers") Integer numLayers,
        @JsonProperty("num_attention_heads") Integer numAttentionHeads,
        @JsonProperty("num_transformer_submodules") Integer numTransformerSubmodules,
        @JsonProperty("task_type") String taskType,
        @JsonProperty("inference_mode") boolean inferenceMode,
        @JsonProperty("modules_to_save") List<String> modulesToSave)
        implements PromptLearningConfig {

    /** Copies lists. */
    public PrefixTuningConfig {
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    /**
     * A builder with PEFT's defaults (20 virtual tokens, no projection, random init).
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
        return new Builder().shared(this).encoderHiddenSize(encoderHiddenSize).prefixProjection(prefixProjection)
                .initWeights(initWeights);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "PREFIX_TUNING";
    }

    @Override
    public String architecture() {
        return "prefix_tuning";
    }

    /**
     * This config as PEFT saves it, with the model's dimensions filled in.
     *
     * @param dim the key/value width of one layer
     * @param layout the table's blocks and the transformer submodules
     * @param heads the key/value heads
     * @return a copy in inference mode
     */
    PrefixTuningConfig saved(int dim, PrefixLayout layout, int heads) {
        return toBuilder().encoderHiddenSize(encoderHiddenSize == null ? dim : encoderHiddenSize)
                .savedFor(dim, layout.tableLayers(), heads).numTransformerSubmodules(layout.submodules()).build();
    }

    /** Builds a {@link PrefixTuningConfig}; also how Jackson reads one, so absent keys keep these defaults. */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Builder extends PromptLearningConfig.Builder<Builder, PrefixTuningConfig> {
        private Integer hidden;
        private boolean projection;
        private String initWeights;

        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Computes keys and values with PEFT's {@code prefix_projection} MLP, its hidden size the
         * model's key/value width.
         *
         * @return this builder
         */
        public Builder prefixProjection() {
            return prefixProjection(true);
        }

        /**
         * Computes keys and values with PEFT's {@code prefix_projection} MLP.
         *
         * @param hiddenSize {@code encoder_hidden_size}
         * @return this builder
         */
        public Builder prefixProjection(int hiddenSize) {
            return prefixProjection(true).encoderHiddenSize(hiddenSize);
        }

        /**
         * Sets {@code prefix_projection} (default false).
         *
         * @param projection whether an MLP computes the keys and values
         * @return this builder
         */
        @JsonProperty("prefix_projection")
        public Builder prefixProjection(boolean projection) {
            this.projection = projection;
            return this;
        }

        /**
         * Sets {@code encoder_hidden_size} (default null: the key/value width).
         *
         * @param size the projection's hidden size, or null
         * @return this builder
         */
        @JsonProperty("encoder_hidden_size")
        public Builder encoderHiddenSize(Integer size) {
            this.hidden = size;
            return this;
        }

        /**
         * Starts with zero keys and values ({@code init_weights: "zero"}).
         *
         * @return this builder
         */
        public Builder zeroInit() {
            return initWeights("zero");
        }

        /**
         * Sets {@code init_weights} (default null: random).
         *
         * @param init {@code "zero"}, or null
         * @return this builder
         */
        @JsonProperty("init_weights")
        public Builder initWeights(String init) {
            this.initWeights = init;
            return this;
        }

        @Override
        public PrefixTuningConfig build() {
            return new PrefixTuningConfig(numVirtualTokens, hidden, projection, initWeights, tokenDim, numLayers,
                    numAttentionHeads, numTransformerSubmodules, taskType, inferenceMode, modulesToSave);
        }
    }
}

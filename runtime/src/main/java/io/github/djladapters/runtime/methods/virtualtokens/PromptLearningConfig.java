package io.github.djladapters.runtime.methods.virtualtokens;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.List;

/**
 * The fields PEFT's prompt-learning configs share ({@code PromptLearningConfig} in PEFT): prompt
 * tuning, P-tuning and prefix tuning each add their own to these. The model's dimensions are null
 * in a new config and filled in when it is saved, as PEFT does.
 */
public interface PromptLearningConfig extends AdapterConfig {

    /**
     * {@code num_virtual_tokens}: how many virtual tokens, at least 1.
     *
     * @return the count
     */
    int numVirtualTokens();

    /**
     * {@code token_dim}: the width of one virtual token.
     *
     * @return the width, or null for the model's
     */
    Integer tokenDim();

    /**
     * {@code num_layers}: the model's layer count.
     *
     * @return the count, or null until saved
     */
    Integer numLayers();

    /**
     * {@code num_attention_heads}: the model's attention heads.
     *
     * @return the heads, or null until saved
     */
    Integer numAttentionHeads();

    /**
     * {@code num_transformer_submodules}: 1, or 2 (the default) for encoder-decoder models, PEFT's
     * {@code SEQ_2_SEQ_LM} layout.
     *
     * @return the count, or null for the model's default
     */
    Integer numTransformerSubmodules();

    /**
     * PEFT's {@code task_type} (such as {@code CAUSAL_LM}, {@code FEATURE_EXTRACTION},
     * {@code SEQ_CLS}), which picks the PEFT model class that applies the virtual tokens when
     * Python loads the adapter.
     *
     * @return the task type, or null to leave it out
     */
    String taskType();

    /**
     * {@code inference_mode}: true in saved files, where the adapter is the table of virtual tokens
     * without the encoder that trained it.
     *
     * @return whether this is a saved table
     */
    boolean inferenceMode();

    /**
     * The shared part of the prompt-learning builders, holding PEFT's defaults for the shared fields.
     * Jackson reads a config through its builder, so the methods carry the JSON keys.
     *
     * @param <B> the concrete builder
     * @param <C> the config it builds
     */
    abstract class Builder<B extends Builder<B, C>, C extends PromptLearningConfig> {
        protected int numVirtualTokens = 20;
        protected Integer tokenDim;
        protected Integer numLayers;
        protected Integer numAttentionHeads;
        protected Integer numTransformerSubmodules;
        protected String taskType;
        protected boolean inferenceMode;
        protected List<String> modulesToSave;

        /** For subclasses. */
        protected Builder() {}

        /**
         * This builder, typed as the concrete one.
         *
         * @return this
         */
        protected abstract B self();

        /**
         * Builds the config.
         *
         * @return a new config
         */
        public abstract C build();

        /**
         * Copies the shared fields of a config.
         *
         * @param from the config
         * @return this builder
         */
        @JsonIgnore
        public B shared(PromptLearningConfig from) {
            numVirtualTokens = from.numVirtualTokens();
            tokenDim = from.tokenDim();
            numLayers = from.numLayers();
            numAttentionHeads = from.numAttentionHeads();
            numTransformerSubmodules = from.numTransformerSubmodules();
            taskType = from.taskType();
            inferenceMode = from.inferenceMode();
            modulesToSave = from.modulesToSave();
            return self();
        }

        /**
         * Fills in what PEFT writes when it saves: the model's dimensions, one transformer
         * submodule unless set, and inference mode.
         *
         * @param dim {@code token_dim}
         * @param layers {@code num_layers}
         * @param heads {@code num_attention_heads}, or null when unknown
         * @return this builder
         */
        public B savedFor(int dim, int layers, Integer heads) {
            tokenDim = dim;
            numLayers = layers;
            numAttentionHeads = heads;
            numTransformerSubmodules = numTransformerSubmodules == null ? 1 : numTransformerSubmodules;
            inferenceMode = true;
            return self();
        }

        /**
         * Sets {@code num_virtual_tokens} (default 20).
         *
         * @param n at least 1
         * @return this builder
         */
        @JsonProperty("num_virtual_tokens")
        public B numVirtualTokens(int n) {
            numVirtualTokens = n;
            return self();
        }

        /**
         * Sets {@code token_dim} (default null: the model's).
         *
         * @param dim the width of one virtual token, or null
         * @return this builder
         */
        @JsonProperty("token_dim")
        public B tokenDim(Integer dim) {
            tokenDim = dim;
            return self();
        }

        /**
         * Sets {@code num_layers} (default null: filled in when saved).
         *
         * @param layers the model's layer count, or null
         * @return this builder
         */
        @JsonProperty("num_layers")
        public B numLayers(Integer layers) {
            numLayers = layers;
            return self();
        }

        /**
         * Sets {@code num_attention_heads} (default null: filled in when saved).
         *
         * @param heads the model's attention heads, or null
         * @return this builder
         */
        @JsonProperty("num_attention_heads")
        public B numAttentionHeads(Integer heads) {
            numAttentionHeads = heads;
            return self();
        }

        /**
         * Sets {@code num_transformer_submodules} (default null: 1 when saved).
         *
         * @param count 1, or null
         * @return this builder
         */
        @JsonProperty("num_transformer_submodules")
        public B numTransformerSubmodules(Integer count) {
            numTransformerSubmodules = count;
            return self();
        }

        /**
         * Sets PEFT's {@code task_type} (default null: left out).
         *
         * @param type for example {@code CAUSAL_LM}
         * @return this builder
         */
        @JsonProperty("task_type")
        public B taskType(String type) {
            taskType = type;
            return self();
        }

        /**
         * Sets {@code inference_mode} (default false; true in saved files).
         *
         * @param value whether the adapter is a saved table
         * @return this builder
         */
        @JsonProperty("inference_mode")
        public B inferenceMode(boolean value) {
            inferenceMode = value;
            return self();
        }

        /**
         * Sets {@code modules_to_save} (default null: none).
         *
         * @param modules module names, or null
         * @return this builder
         */
        @JsonProperty("modules_to_save")
        public B modulesToSave(List<String> modules) {
            modulesToSave = modules == null ? null : List.copyOf(modules);
            return self();
        }

        /**
         * Sets {@code modules_to_save}.
         *
         * @param modules module names, such as {@code classifier}; none for null
         * @return this builder
         */
        public B modulesToSave(String... modules) {
            return modulesToSave(modules.length == 0 ? null : List.of(modules));
        }
    }
}

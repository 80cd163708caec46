package io.github.djladapters.runtime.methods.ia3;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.TargetingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An IA3 adapter: learned vectors {@code ia3_l} that scale the outputs of some projections (keys and
 * values) and the inputs of feed-forward ones, with PEFT's {@code IA3Config} field names in JSON.
 * When {@code target_modules} is set it decides (PEFT, with {@code feedforward_modules} a subset
 * whose input is scaled); otherwise the roles do: {@code attn_matrices} (default k and v, output
 * scaled) and {@code output_lora} (default true: the feed-forward output projection, input scaled,
 * which is PEFT's {@code down_proj}/{@code output.dense} default). The defaults are the
 * {@link Builder}'s.
 *
 * <pre>{@code
 * IA3Config peft = IA3Config.builder().targetModules("k_proj", "v_proj", "down_proj")
 *         .feedforwardModules("down_proj").build();
 * IA3Config roles = IA3Config.builder().build();
 * }</pre>
 *
 * @param targetModules {@code target_modules}, or null (the default) to select by role
 * @param feedforwardModules {@code feedforward_modules}: targets whose input is scaled; default null
 * @param fanInFanOut {@code fan_in_fan_out}: informational, the layout is read from the module
 * @param initIa3Weights {@code init_ia3_weights}: start at ones (a no-op), default true; false
 *     starts from random values around 1, for tests
 * @param modulesToSave {@code modules_to_save}: modules (such as {@code classifier}) of which the
 *     adapter trains and saves its own full copy, matched as PEFT does; default null (none)
 * @param layersToTransform {@code layers_to_transform}, default null (all)
 * @param layersPattern {@code layers_pattern}, default null (any)
 * @param attnMatrices {@code attn_matrices}: output-scaled attention roles, default [k, v]
 * @param outputLora {@code output_lora}: scale the input of the output projection, default true
 * @param leaveOut {@code leave_out}: layers to skip, default empty
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonDeserialize(builder = IA3Config.Builder.class)
public record IA3Config(
        @JsonProperty("target_modules") TargetModules targetModules,
        @JsonProperty("feedforward_modules") TargetModules feedforwardModules,
        @JsonProperty("fan_in_fan_out") boolean fanInFanOut,
        @JsonProperty("init_ia3_weights") boolean initIa3Weights,
        @JsonProperty("modules_to_save") List<String> modulesToSave,
        @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
        @JsonProperty("layers_pattern") List<String> layersPattern,
        @JsonProperty("attn_matrices") List<String> attnMatrices,
        @JsonProperty("output_lora") boolean outputLora,
        @JsonProperty("leave_out") List<Integer> leaveOut)
        implements TargetingConfig {

    /** Copies the lists; the ones with a non-null default must be set. */
    public IA3Config {
        attnMatrices = List.copyOf(Objects.requireNonNull(attnMatrices, "attn_matrices"));
        leaveOut = List.copyOf(Objects.requireNonNull(leaveOut, "leave_out"));
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
        layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
        layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "IA3";
    }

    @Override
    public List<String> roles() {
        List<String> roles = new ArrayList<>(attnMatrices);
        if (outputLora) {
            roles.add("output");
        }
        return roles;
    }

    /**
     * A builder with PEFT's defaults: IA3 on keys, values and the feed-forward output projection's
     * input, by role.
     *
     * @return a new builder
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
        return new Builder().targeting(this).feedforwardModules(feedforwardModules).initIa3Weights(initIa3Weights);
    }

    /**
     * Builds an {@link IA3Config}; also how Jackson reads one, so absent keys keep these defaults:
     * PEFT's, with {@code attn_matrices} [k, v] and {@code output_lora} true.
     */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Builder extends TargetingConfig.Builder<Builder, IA3Config> {
        private TargetModules feedforwardModules;
        private boolean initIa3Weights = true;

        private Builder() {
            super(List.of("k", "v"), true);
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets feedforward_modules.
         *
         * @param value the targets whose input is scaled, or null
         * @return this builder
         */
        @JsonProperty("feedforward_modules")
        public Builder feedforwardModules(TargetModules value) {
            feedforwardModules = value;
            return this;
        }

        /**
         * Sets feedforward_modules as module names.
         *
         * @param names module names (suffix match)
         * @return this builder
         */
        public Builder feedforwardModules(String... names) {
            return feedforwardModules(TargetModules.names(names));
        }

        /**
         * Sets init_ia3_weights.
         *
         * @param value true to start at ones
         * @return this builder
         */
        @JsonProperty("init_ia3_weights")
        public Builder initIa3Weights(boolean value) {
            initIa3Weights = value;
            return this;
        }

        @Override
        public IA3Config build() {
            return new IA3Config(targetModules, feedforwardModules, fanInFanOut, initIa3Weights, modulesToSave,
                    layersToTransform, layersPattern, attnMatrices, outputLora, leaveOut);
        }
    }
}

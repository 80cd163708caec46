package io.github.djladapters.runtime.methods.lora;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.TargetingConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA (or DoRA) adapter, with PEFT's {@code LoraConfig} field names in JSON plus the adapters
 * library's role-based targets. When {@code target_modules} is set it alone decides the modules
 * (PEFT); otherwise {@code selfattn_lora} + {@code attn_matrices}, {@code intermediate_lora} and
 * {@code output_lora} do (the adapters library, default: q and v).
 *
 * <pre>{@code
 * LoRAConfig peft = LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value").build();
 * LoRAConfig roles = LoRAConfig.builder().attnMatrices("q", "k", "v").intermediateLora(true).build();
 * }</pre>
 *
 * @param r {@code r}: the rank, default 8
 * @param loraAlpha {@code lora_alpha}: the scale numerator, default 8
 * @param loraDropout {@code lora_dropout}: dropout on the LoRA branch's input while training, default 0
 * @param targetModules {@code target_modules}: module names (suffix match) or a full-match regex;
 *     default null (select by role)
 * @param layersToTransform {@code layers_to_transform}: layer indices to adapt, default null (all)
 * @param layersPattern {@code layers_pattern}: the name before the layer index, default null (any)
 * @param rankPattern {@code rank_pattern}: module-name regex to rank, first match wins, default empty
 * @param alphaPattern {@code alpha_pattern}: module-name regex to alpha, default empty
 * @param useRslora {@code use_rslora}: scale by alpha/sqrt(r) instead of alpha/r, default false
 * @param useDora {@code use_dora}: add DoRA's magnitude vector, default false
 * @param initLoraWeights {@code init_lora_weights}: default {@link LoRAInit#DEFAULT} (B = 0)
 * @param fanInFanOut {@code fan_in_fan_out}: informational; the layout is read from the base block,
 *     and a mismatch is logged as PEFT warns, default false
 * @param bias {@code bias}: only {@code "none"} is supported, default "none"
 * @param modulesToSave {@code modules_to_save}: modules (such as {@code classifier}) of which the
 *     adapter trains and saves its own full copy, matched as PEFT does; default null (none)
 * @param attnMatrices {@code attn_matrices}: roles among q, k, v (and o), default [q, v]
 * @param selfattnLora {@code selfattn_lora}: apply to the self-attention roles, default true
 * @param intermediateLora {@code intermediate_lora}: apply to the intermediate projection, default false
 * @param outputLora {@code output_lora}: apply to the output projection, default false
 * @param leaveOut {@code leave_out}: layer indices to skip, default empty
 * @param useGating {@code use_gating} (the adapters library's): scale each row's LoRA output by a
 *     learned gate, {@code sigmoid(x G^T + g)} averaged over the sequence, instead of alpha/r; such
 *     an adapter cannot be merged nor saved in PEFT's format (PEFT has no gating), default false
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonDeserialize(builder = LoRAConfig.Builder.class)
public record LoRAConfig(
        @JsonProperty("r") int r,
        @JsonProperty("lora_alpha") int loraAlpha,
        @JsonProperty("lora_dropout") double loraDropout,
        @JsonProperty("target_modules") TargetModules targetModules,
        @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
        @JsonProperty("layers_pattern") List<String> layersPattern,
        @JsonProperty("rank_pattern") Map<String, Integer> rankPattern,
        @JsonProperty("alpha_pattern") Map<String, Integer> alphaPattern,
        @JsonProperty("use_rslora") boolean useRslora,
        @JsonProperty("use_dora") boolean useDora,
        @JsonProperty("init_lora_weights") LoRAInit initLoraWeights,
        @JsonProperty("fan_in_fan_out") boolean fanInFanOut,
        @JsonProperty("bias") String bias,
        @JsonProperty("modules_to_save") List<String> modulesToSave,
        @JsonProperty("attn_matrices") List<String> attnMatrices,
        @JsonProperty("selfattn_lora") boolean selfattnLora,
        @JsonProperty("intermediate_lora") boolean intermediateLora,
        @JsonProperty("output_lora") boolean outputLora,
        @JsonProperty("leave_out") List<Integer> leaveOut,
        @JsonProperty("use_gating") boolean useGating)
        implements TargetingConfig {

    /** Copies the collections; the fields with a non-null default (the {@link Builder}'s) must be set. */
    public LoRAConfig {
        rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(rankPattern, "rank_pattern")));
        alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(alphaPattern, "alpha_pattern")));
        requireNonNull(initLoraWeights, "init_lora_weights");
        requireNonNull(bias, "bias");
        attnMatrices = List.copyOf(requireNonNull(attnMatrices, "attn_matrices"));
        leaveOut = List.copyOf(requireNonNull(leaveOut, "leave_out"));
        layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
        layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "LORA";
    }

    @Override
    public String architecture() {
        return useDora ? "dora" : "lora";
    }

    @Override
    public List<String> roles() {
        List<String> roles = new ArrayList<>();
        if (selfattnLora) {
            roles.addAll(attnMatrices);
        }
        if (intermediateLora) {
            roles.add("intermediate");
        }
        if (outputLora) {
            roles.add("output");
        }
        return roles;
    }

    /**
     * A builder with PEFT's defaults.
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
        return new Builder().targeting(this).r(r).loraAlpha(loraAlpha).loraDropout(loraDropout)
                .rankPattern(rankPattern).alphaPattern(alphaPattern).useRslora(useRslora).useDora(useDora)
                .initLoraWeights(initLoraWeights).bias(bias).selfattnLora(selfattnLora)
                .intermediateLora(intermediateLora).useGating(useGating);
    }

    /**
     * Builds a {@link LoRAConfig}; also how Jackson reads one, so absent keys keep these defaults:
     * PEFT's, with {@code attn_matrices} [q, v] and {@code output_lora} false.
     */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Builder extends TargetingConfig.Builder<Builder, LoRAConfig> {
        private int r = 8;
        private int loraAlpha = 8;
        private double loraDropout;
        private Map<String, Integer> rankPattern = Map.of();
        private Map<String, Integer> alphaPattern = Map.of();
        private boolean useRslora;
        private boolean useDora;
        private LoRAInit initLoraWeights = LoRAInit.DEFAULT;
        private String bias = "none";
        private boolean selfattnLora = true;
        private boolean intermediateLora;
        private boolean useGating;

        private Builder() {
            super(List.of("q", "v"), false);
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the rank.
         *
         * @param value the rank
         * @return this builder
         */
        @JsonProperty("r")
        public Builder r(int value) {
            r = value;
            return this;
        }

        /**
         * Sets lora_alpha.
         *
         * @param value lora_alpha
         * @return this builder
         */
        @JsonProperty("lora_alpha")
        public Builder loraAlpha(int value) {
            loraAlpha = value;
            return this;
        }

        /**
         * Sets lora_dropout.
         *
         * @param value lora_dropout
         * @return this builder
         */
        @JsonProperty("lora_dropout")
        public Builder loraDropout(double value) {
            loraDropout = value;
            return this;
        }

        /**
         * Sets rank_pattern.
         *
         * @param value rank_pattern
         * @return this builder
         */
        @JsonProperty("rank_pattern")
        public Builder rankPattern(Map<String, Integer> value) {
            rankPattern = value;
            return this;
        }

        /**
         * Sets alpha_pattern.
         *
         * @param value alpha_pattern
         * @return this builder
         */
        @JsonProperty("alpha_pattern")
        public Builder alphaPattern(Map<String, Integer> value) {
            alphaPattern = value;
            return this;
        }

        /**
         * Sets use_rslora.
         *
         * @param value use_rslora
         * @return this builder
         */
        @JsonProperty("use_rslora")
        public Builder useRslora(boolean value) {
            useRslora = value;
            return this;
        }

        /**
         * Sets use_dora.
         *
         * @param value use_dora
         * @return this builder
         */
        @JsonProperty("use_dora")
        public Builder useDora(boolean value) {
            useDora = value;
            return this;
        }

        /**
         * Sets init_lora_weights.
         *
         * @param value init_lora_weights
         * @return this builder
         */
        @JsonProperty("init_lora_weights")
        public Builder initLoraWeights(LoRAInit value) {
            initLoraWeights = value;
            return this;
        }

        /**
         * Sets bias.
         *
         * @param value bias
         * @return this builder
         */
        @JsonProperty("bias")
        public Builder bias(String value) {
            bias = value;
            return this;
        }

        /**
         * Sets selfattn_lora.
         *
         * @param value selfattn_lora
         * @return this builder
         */
        @JsonProperty("selfattn_lora")
        public Builder selfattnLora(boolean value) {
            selfattnLora = value;
            return this;
        }

        /**
         * Sets intermediate_lora.
         *
         * @param value intermediate_lora
         * @return this builder
         */
        @JsonProperty("intermediate_lora")
        public Builder intermediateLora(boolean value) {
            intermediateLora = value;
            return this;
        }

        /**
         * Sets use_gating.
         *
         * @param value use_gating
         * @return this builder
         */
        @JsonProperty("use_gating")
        public Builder useGating(boolean value) {
            useGating = value;
            return this;
        }

        /**
         * Puts the adapters library's role selection ({@code attn_matrices}, {@code selfattn_lora},
         * {@code intermediate_lora}, {@code output_lora}, {@code leave_out}) back to its defaults, as
         * in a config read from PEFT's file, where {@code target_modules} alone decides.
         *
         * @return this builder
         */
        public Builder defaultRoles() {
            Builder defaults = new Builder();
            return attnMatrices(defaults.attnMatrices).selfattnLora(defaults.selfattnLora)
                    .intermediateLora(defaults.intermediateLora).outputLora(defaults.outputLora)
                    .leaveOut(defaults.leaveOut);
        }

        @Override
        public LoRAConfig build() {
            return new LoRAConfig(r, loraAlpha, loraDropout, targetModules, layersToTransform, layersPattern,
                    rankPattern, alphaPattern, useRslora, useDora, initLoraWeights, fanInFanOut, bias, modulesToSave,
                    attnMatrices, selfattnLora, intermediateLora, outputLora, leaveOut, useGating);
        }
    }
}

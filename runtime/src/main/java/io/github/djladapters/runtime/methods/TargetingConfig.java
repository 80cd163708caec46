package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The fields of a config whose method adapts named modules (LoRA, IA3): PEFT's
 * {@code target_modules} family and the adapters library's role selection. When
 * {@code target_modules} is set it decides alone (PEFT); otherwise {@link #roles()} do.
 */
public interface TargetingConfig extends AdapterConfig {

    /**
     * {@code target_modules}: module names (suffix match) or a full-match regex.
     *
     * @return the targets, or null to select by role
     */
    TargetModules targetModules();

    /**
     * {@code layers_to_transform}: the layer indices to adapt.
     *
     * @return indices, or null for all
     */
    List<Integer> layersToTransform();

    /**
     * {@code layers_pattern}: the name before the layer index in module paths.
     *
     * @return names, or null for any
     */
    List<String> layersPattern();

    /**
     * {@code fan_in_fan_out}: informational; the weight layout is read from the module.
     *
     * @return what the config says
     */
    boolean fanInFanOut();

    /**
     * {@code attn_matrices}: the attention roles among q, k, v (and o) when {@code target_modules}
     * is null.
     *
     * @return the roles
     */
    List<String> attnMatrices();

    /**
     * {@code output_lora}: whether the feed-forward output projection is a role target.
     *
     * @return true to target it
     */
    boolean outputLora();

    /**
     * {@code leave_out}: layer indices to skip.
     *
     * @return indices, empty for none
     */
    List<Integer> leaveOut();

    /**
     * The roles targeted when {@code target_modules} is null.
     *
     * @return roles among q, k, v, o, intermediate, output
     */
    List<String> roles();

    /**
     * Where the adapter goes, for {@link TargetResolver}.
     *
     * @return the selection these fields make
     */
    default TargetSelection targetSelection() {
        return new TargetSelection(targetModules(), roles(), layersToTransform(), layersPattern(), leaveOut());
    }

    /**
     * The shared part of the builders of such configs. Jackson reads a config through its builder,
     * so the methods carry the JSON keys. The method's own defaults for {@code attn_matrices} and
     * {@code output_lora} come from the subclass's constructor; the others are PEFT's.
     *
     * @param <B> the concrete builder
     * @param <C> the config it builds
     */
    abstract class Builder<B extends Builder<B, C>, C extends TargetingConfig> {
        protected TargetModules targetModules;
        protected List<Integer> layersToTransform;
        protected List<String> layersPattern;
        protected List<String> modulesToSave;
        protected boolean fanInFanOut;
        protected List<String> attnMatrices;
        protected boolean outputLora;
        protected List<Integer> leaveOut = List.of();

        /**
         * For subclasses.
         *
         * @param attnMatrices the method's default {@code attn_matrices}
         * @param outputLora the method's default {@code output_lora}
         */
        protected Builder(List<String> attnMatrices, boolean outputLora) {
            this.attnMatrices = attnMatrices;
            this.outputLora = outputLora;
        }

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
        public B targeting(TargetingConfig from) {
            return targetModules(from.targetModules()).layersToTransform(from.layersToTransform())
                    .layersPattern(from.layersPattern()).modulesToSave(from.modulesToSave())
                    .fanInFanOut(from.fanInFanOut()).attnMatrices(from.attnMatrices()).outputLora(from.outputLora())
                    .leaveOut(from.leaveOut());
        }

        /**
         * Sets target_modules.
         *
         * @param value target_modules, or null to select by role
         * @return this builder
         */
        @JsonProperty("target_modules")
        public B targetModules(TargetModules value) {
            targetModules = value;
            return self();
        }

        /**
         * Sets target_modules as module names.
         *
         * @param names module names (suffix match)
         * @return this builder
         */
        public B targetModules(String... names) {
            return targetModules(TargetModules.names(names));
        }

        /**
         * Sets layers_to_transform.
         *
         * @param value layer indices, or null for all
         * @return this builder
         */
        @JsonProperty("layers_to_transform")
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        public B layersToTransform(List<Integer> value) {
            layersToTransform = value;
            return self();
        }

        /**
         * Sets layers_pattern.
         *
         * @param value the names before the layer index, or null for any
         * @return this builder
         */
        @JsonProperty("layers_pattern")
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        public B layersPattern(List<String> value) {
            layersPattern = value;
            return self();
        }

        /**
         * Sets modules_to_save.
         *
         * @param value module names, or null for none
         * @return this builder
         */
        @JsonProperty("modules_to_save")
        public B modulesToSave(List<String> value) {
            modulesToSave = value;
            return self();
        }

        /**
         * Sets modules_to_save.
         *
         * @param modules module names, such as {@code classifier}
         * @return this builder
         */
        public B modulesToSave(String... modules) {
            return modulesToSave(List.of(modules));
        }

        /**
         * Sets fan_in_fan_out.
         *
         * @param value fan_in_fan_out
         * @return this builder
         */
        @JsonProperty("fan_in_fan_out")
        public B fanInFanOut(boolean value) {
            fanInFanOut = value;
            return self();
        }

        /**
         * Sets attn_matrices.
         *
         * @param value roles among q, k, v, o
         * @return this builder
         */
        @JsonProperty("attn_matrices")
        public B attnMatrices(List<String> value) {
            attnMatrices = value;
            return self();
        }

        /**
         * Sets attn_matrices.
         *
         * @param roles roles among q, k, v, o
         * @return this builder
         */
        public B attnMatrices(String... roles) {
            return attnMatrices(List.of(roles));
        }

        /**
         * Sets output_lora.
         *
         * @param value whether the output projection is a role target
         * @return this builder
         */
        @JsonProperty("output_lora")
        public B outputLora(boolean value) {
            outputLora = value;
            return self();
        }

        /**
         * Sets leave_out.
         *
         * @param value layer indices to skip
         * @return this builder
         */
        @JsonProperty("leave_out")
        public B leaveOut(List<Integer> value) {
            leaveOut = value;
            return self();
        }
    }
}

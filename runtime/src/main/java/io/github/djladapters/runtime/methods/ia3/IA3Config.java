package io.github.djladapters.runtime.methods.ia3;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.TargetModules;
import java.util.ArrayList;
import java.util.List;

/**
 * An IA3 adapter: learned vectors {@code ia3_l} that scale the outputs of some projections (keys and
 * values) and the inputs of feed-forward ones, with PEFT's {@code IA3Config} field names in JSON.
 * When {@code target_modules} is set it decides (PEFT, with {@code feedforward_modules} a subset
 * whose input is scaled); otherwise the roles do: {@code attn_matrices} (default k and v, output
 * scaled) and {@code output_lora} (default true: the feed-forward output projection, input scaled,
 * which is PEFT's {@code down_proj}/{@code output.dense} default).
 *
 * <pre>{@code
 * IA3Config peft = new IA3Config(TargetModules.names("k_proj", "v_proj", "down_proj"),
 *         TargetModules.names("down_proj"), false, true, null, null, null, null, null, null);
 * IA3Config roles = IA3Config.defaults();
 * }</pre>
 *
 * @param targetModules {@code target_modules}, or null to select by role
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
public record IA3Config(
        @JsonProperty("target_modules") TargetModules targetModules,
        @JsonProperty("feedforward_modules") TargetModules feedforwardModules,
        @JsonProperty("fan_in_fan_out") boolean fanInFanOut,
        @JsonProperty("init_ia3_weights") Boolean initIa3Weights,
        @JsonProperty("modules_to_save") List<String> modulesToSave,
        @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
        @JsonProperty("layers_pattern") List<String> layersPattern,
        @JsonProperty("attn_matrices") List<String> attnMatrices,
        @JsonProperty("output_lora") Boolean outputLora,
        @JsonProperty("leave_out") List<Integer> leaveOut)
        implements AdapterConfig {

    /** Fills defaults for absent values. */
    public IA3Config {
        initIa3Weights = initIa3Weights == null ? Boolean.TRUE : initIa3Weights;
        attnMatrices = attnMatrices == null ? List.of("k", "v") : List.copyOf(attnMatrices);
        outputLora = outputLora == null ? Boolean.TRUE : outputLora;
        leaveOut = leaveOut == null ? List.of() : List.copyOf(leaveOut);
        modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    }

    /**
     * IA3 on keys, values and the feed-forward output projection's input, by role.
     *
     * @return the config
     */
    public static IA3Config defaults() {
        return new IA3Config(null, null, false, true, null, null, null, null, null, null);
    }

    /**
     * PEFT-style IA3 on named modules.
     *
     * @param targetModules the modules
     * @param feedforwardModules the subset whose input is scaled
     * @return the config
     */
    public static IA3Config of(TargetModules targetModules, TargetModules feedforwardModules) {
        return new IA3Config(targetModules, feedforwardModules, false, true, null, null, null, null, null, null);
    }

    /**
     * This config with another {@code init_ia3_weights}.
     *
     * @param init true for ones
     * @return a copy
     */
    public IA3Config withInitIa3Weights(boolean init) {
        return new IA3Config(targetModules, feedforwardModules, fanInFanOut, init, modulesToSave, layersToTransform,
                layersPattern, attnMatrices, outputLora, leaveOut);
    }

    /**
     * This config with another {@code modules_to_save}.
     *
     * @param modules module names, such as {@code classifier}; none for null
     * @return a copy
     */
    public IA3Config withModulesToSave(String... modules) {
        return new IA3Config(targetModules, feedforwardModules, fanInFanOut, initIa3Weights,
                modules.length == 0 ? null : List.of(modules), layersToTransform, layersPattern, attnMatrices,
                outputLora, leaveOut);
    }

    @Override
    @JsonProperty("peft_type")
    public String peftType() {
        return "IA3";
    }

    /**
     * The roles targeted when {@code target_modules} is null.
     *
     * @return roles among q, k, v, o, output
     */
    public List<String> roles() {
        List<String> roles = new ArrayList<>(attnMatrices);
        if (outputLora) {
            roles.add("output");
        }
        return roles;
    }
}

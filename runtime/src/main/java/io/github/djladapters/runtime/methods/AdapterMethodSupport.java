package io.github.djladapters.runtime.methods;

import io.github.djladapters.runtime.AdapterModel;
import java.util.List;

/**
 * What one adapter method contributes: where its adapters go and how it attaches one to a module.
 * Each method implements this once in its package and is listed in {@link AdapterMethods}.
 *
 * @param <C> the method's config record
 */
public interface AdapterMethodSupport<C extends AdapterConfig> {

    /**
     * The config record this method applies.
     *
     * @return the config class
     */
    Class<C> configType();

    /**
     * PEFT's {@code peft_type} of this method, which picks it when an {@code adapter_config.json}
     * is read.
     *
     * @return for example {@code LORA} or {@code IA3}
     */
    String peftType();

    /**
     * Checks a config against the model before anything changes.
     *
     * @param config the config
     * @throws IllegalArgumentException naming the field when a value is not supported
     */
    void validate(C config);

    /**
     * The modules an adapter with this config goes on.
     *
     * @param config the config
     * @param model the model
     * @return the targets
     */
    List<TargetModule> targets(C config, AdapterModel<?> model);

    /**
     * Adds an adapter at one module: to the {@link AdapterLayer} already there, or to a new one
     * wrapping the module's block, which the caller then puts in the model.
     *
     * @param name the adapter name
     * @param config the config
     * @param target the module
     * @param activation the model's shared activation state, for a new layer
     * @return the layer that now holds the adapter
     * @throws IllegalArgumentException when the module holds another method's adapters or cannot
     *     take this method
     */
    AdapterLayer<?> attach(String name, C config, TargetModule target, AdapterActivation activation);
}

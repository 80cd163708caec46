package io.github.djladapters.runtime.methods;

import io.github.djladapters.annotations.AdapterMethod;

/**
 * A {@link MethodProvider} whose config type, name and DSL family are fixed when it is made, so each
 * method states them once, in its constructor, and writes only its checks and attachments.
 *
 * <pre>{@code
 * public final class LayerScaleMethod extends AbstractMethodProvider<LayerScaleConfig> {
 *     public LayerScaleMethod() {
 *         super(LayerScaleConfig.class, "layer_scale", AdapterMethod.LORA);
 *     }
 *     ...
 * }
 * }</pre>
 *
 * @param <C> the config record
 */
public abstract class AbstractMethodProvider<C extends AdapterConfig> implements MethodProvider<C> {

    private final Class<C> configType;
    private final String name;
    private final AdapterMethod family;

    /**
     * Fixes the method's identity.
     *
     * @param configType the config record this method applies
     * @param name the method's name in the summary and messages, such as {@code lora}
     * @param family the DSL family a model must declare to take this method
     */
    protected AbstractMethodProvider(Class<C> configType, String name, AdapterMethod family) {
        this.configType = configType;
        this.name = name;
        this.family = family;
    }

    @Override
    public final Class<C> configType() {
        return configType;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final AdapterMethod family() {
        return family;
    }
}

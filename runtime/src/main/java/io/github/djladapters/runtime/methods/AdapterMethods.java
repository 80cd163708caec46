package io.github.djladapters.runtime.methods;

import io.github.djladapters.runtime.methods.ia3.IA3Method;
import io.github.djladapters.runtime.methods.lora.LoRAMethod;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of adapter methods, from config class to method. Adding a method is one package
 * plus one line in the static block here (or one {@link #register} call from a plugin).
 */
public final class AdapterMethods {

    private static final Map<Class<?>, AdapterMethodSupport<?>> METHODS = new ConcurrentHashMap<>();

    static {
        register(new LoRAMethod());
        register(new IA3Method());
    }

    private AdapterMethods() {}

    /**
     * Registers a method for its config class, replacing any earlier one.
     *
     * @param method the method
     */
    public static void register(AdapterMethodSupport<?> method) {
        METHODS.put(method.configType(), method);
    }

    /**
     * The method that applies a config.
     *
     * @param config the config
     * @param <C> the config class
     * @return its method
     * @throws IllegalArgumentException when no method is registered for the config's class
     */
    @SuppressWarnings("unchecked") // register keys each method by its own config class
    public static <C extends AdapterConfig> AdapterMethodSupport<C> forConfig(C config) {
        AdapterMethodSupport<?> method = METHODS.get(config.getClass());
        if (method == null) {
            throw new IllegalArgumentException("no adapter method is registered for " + config.getClass().getName()
                    + "; registered: " + METHODS.keySet());
        }
        return (AdapterMethodSupport<C>) method;
    }
}

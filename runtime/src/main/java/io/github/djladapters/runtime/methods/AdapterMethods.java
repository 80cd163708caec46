package io.github.djladapters.runtime.methods;

import io.github.djladapters.runtime.methods.ia3.IA3Method;
import io.github.djladapters.runtime.methods.lora.LoRAMethod;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of adapter methods, from config class to method. Adding a method is one package
 * plus one line in the static block here (or one {@link #register} call from a plugin).
 */
public final class AdapterMethods {

    private static final Map<Class<?>, AdapterMethodSupport<?>> METHODS = new ConcurrentHashMap<>();
    private static final Map<String, AdapterMethodSupport<?>> BY_PEFT_TYPE = new ConcurrentHashMap<>();

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
        BY_PEFT_TYPE.put(method.peftType(), method);
    }

    /**
     * The method for PEFT's {@code peft_type}, as an {@code adapter_config.json} names it.
     *
     * @param peftType for example {@code LORA}
     * @return the method, or empty when none is registered for that type
     */
    public static Optional<AdapterMethodSupport<?>> forPeftType(String peftType) {
        return Optional.ofNullable(BY_PEFT_TYPE.get(peftType));
    }

    /**
     * The {@code peft_type}s of the registered methods.
     *
     * @return sorted peft types
     */
    public static SortedSet<String> peftTypes() {
        return new TreeSet<>(BY_PEFT_TYPE.keySet());
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

package io.github.djladapters.runtime.methods;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry of adapter methods, from config class to method. The methods on the class path are
 * found with {@link ServiceLoader} ({@code META-INF/services/io.github.djladapters.runtime.methods.MethodProvider}
 * lists them, in this project and in plugin jars); {@link #register} adds one by hand.
 */
public final class MethodRegistry {

    private static final Map<Class<?>, MethodProvider<?>> METHODS = new ConcurrentHashMap<>();

    static {
        for (MethodProvider<?> method : ServiceLoader.load(MethodProvider.class,
                MethodRegistry.class.getClassLoader())) {
            register(method);
        }
    }

    private MethodRegistry() {}

    /**
     * Registers a method for its config class, replacing any earlier one.
     *
     * @param method the method
     */
    public static void register(MethodProvider<?> method) {
        METHODS.put(method.configType(), method);
    }

    /**
     * Removes the method registered for a config class, if any (for tests that register their own).
     *
     * @param configType the config class
     */
    public static void unregister(Class<? extends AdapterConfig> configType) {
        METHODS.remove(configType);
    }

    /**
     * Every registered method, sorted by name.
     *
     * @return the methods
     */
    public static List<MethodProvider<?>> all() {
        List<MethodProvider<?>> all = new ArrayList<>(METHODS.values());
        all.sort(java.util.Comparator.comparing(MethodProvider::name));
        return all;
    }

    /**
     * The method for PEFT's {@code peft_type}, as an {@code adapter_config.json} names it.
     *
     * @param peftType for example {@code LORA}
     * @return the method, or empty when none is registered for that type
     */
    public static Optional<MethodProvider<?>> forPeftType(String peftType) {
        return all().stream().filter(m -> m.peftFormat().map(f -> f.peftType().equals(peftType)).orElse(false))
                .findFirst();
    }

    /**
     * The {@code peft_type}s of the registered methods.
     *
     * @return sorted peft types
     */
    public static SortedSet<String> peftTypes() {
        SortedSet<String> types = new TreeSet<>();
        all().forEach(m -> m.peftFormat().ifPresent(f -> types.add(f.peftType())));
        return types;
    }

    /**
     * The method whose command-line side answers a {@code --method} value.
     *
     * @param value for example {@code lora}
     * @return the command-line side, or empty
     */
    public static Optional<MethodCommandLine> forCommandLine(String value) {
        return all().stream().flatMap(m -> m.commandLine().stream()).filter(c -> c.methods().containsKey(value))
                .findFirst();
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
    public static <C extends AdapterConfig> MethodProvider<C> forConfig(C config) {
        MethodProvider<?> method = METHODS.get(config.getClass());
        if (method == null) {
            throw new IllegalArgumentException("no adapter method is registered for " + config.getClass().getName()
                    + "; registered: " + METHODS.keySet());
        }
        return (MethodProvider<C>) method;
    }
}

package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.bindings.ModelBindings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.WeakHashMap;

/**
 * The {@link ModelBindings} services of one class loader, scanned once, and the choice among them.
 */
final class BindingsCatalog {

    // values reach their loader through the bindings' classes: a discarded loader stays until clear()
    private static final Map<ClassLoader, BindingsCatalog> CACHE = new WeakHashMap<>();

    private final List<ModelBindings<?>> all;

    private BindingsCatalog(List<ModelBindings<?>> all) {
        this.all = Collections.unmodifiableList(all);
    }

    /** The catalogue of a loader, scanning it on first use. */
    static BindingsCatalog of(ClassLoader loader) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(loader, BindingsCatalog::scan);
        }
    }

    /** Forgets every scan; for tests and hot-reloading hosts. */
    static void clear() {
        synchronized (CACHE) {
            CACHE.clear();
        }
    }

    @SuppressWarnings("rawtypes")
    private static BindingsCatalog scan(ClassLoader loader) {
        List<ModelBindings<?>> found = new ArrayList<>();
        try {
            for (ModelBindings<?> bindings : ServiceLoader.load(ModelBindings.class, loader)) {
                found.add(bindings);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a META-INF/services/" + ModelBindings.class.getName()
                    + " entry cannot be loaded (was the generated bindings class compiled and packaged?): "
                    + e.getMessage(), e);
        }
        return new BindingsCatalog(found);
    }

    /** Every bindings service, in class-path order. */
    List<ModelBindings<?>> all() {
        return all;
    }

    /**
     * The bindings whose model type is the class or its nearest superclass; bindings for
     * {@code Block} itself are descriptors without a target and never match.
     *
     * @throws IllegalStateException when two bindings are equally near
     */
    Optional<ModelBindings<?>> forModelClass(Class<?> modelClass) {
        List<ModelBindings<?>> nearest = new ArrayList<>();
        int best = Integer.MAX_VALUE;
        for (ModelBindings<?> bindings : all) {
            Class<?> type = bindings.modelType();
            if (type == Block.class || !type.isAssignableFrom(modelClass)) {
                continue;
            }
            int distance = distance(modelClass, type);
            if (distance < best) {
                nearest.clear();
                best = distance;
            }
            if (distance == best) {
                nearest.add(bindings);
            }
        }
        if (nearest.size() > 1) {
            List<String> declarations = new ArrayList<>();
            for (ModelBindings<?> bindings : nearest) {
                declarations.add(bindings.declaringType().getName());
            }
            throw new IllegalStateException("several adapter bindings apply to " + modelClass.getName()
                    + " equally: " + declarations + "; choose one with Adapters.init(model, Declaration.class)");
        }
        return nearest.stream().findFirst();
    }

    /** The bindings whose declaring type is exactly {@code declaringType}. */
    Optional<ModelBindings<?>> forDeclaringType(Class<?> declaringType) {
        return all.stream().filter(bindings -> bindings.declaringType() == declaringType).findFirst();
    }

    /** Steps up the superclass chain from {@code from} to {@code to}; interfaces count as farthest. */
    private static int distance(Class<?> from, Class<?> to) {
        int steps = 0;
        for (Class<?> type = from; type != null; type = type.getSuperclass(), steps++) {
            if (type == to) {
                return steps;
            }
        }
        return Integer.MAX_VALUE - 1;
    }
}

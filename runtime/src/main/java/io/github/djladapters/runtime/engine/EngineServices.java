package io.github.djladapters.runtime.engine;

import java.util.ServiceLoader;
import org.slf4j.LoggerFactory;

/**
 * Engine-specific code that this module calls through an interface and an engine's module provides
 * through {@link ServiceLoader} (packed products, per-row kernels): the first one found, or none, so that
 * callers keep their engine-neutral path when no engine module is on the class path or it cannot load.
 */
public final class EngineServices {

    private EngineServices() {}

    /**
     * The first provider of {@code service} on the class path of {@code owner}'s class loader.
     *
     * @param service the interface
     * @param owner the class that asks (its loader finds the providers; its logger reports a failure)
     * @param what what the service is, for the warning when loading it fails
     * @param <T> the interface
     * @return the provider, or null when there is none or it failed to load (a warning then says why)
     */
    public static <T> T first(Class<T> service, Class<?> owner, String what) {
        try {
            for (T provider : ServiceLoader.load(service, owner.getClassLoader())) {
                return provider;
            }
        } catch (RuntimeException | LinkageError e) {
            LoggerFactory.getLogger(owner).warn("no {} ({})", what, e.toString());
        }
        return null;
    }
}

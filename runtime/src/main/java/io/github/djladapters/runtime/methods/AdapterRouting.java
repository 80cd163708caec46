package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Optional;

/**
 * The per-row adapter choice of the forward running on this thread: for each adapter name, a
 * {@code [batch]} float mask with 1 on the rows that use it. Set by {@code AdapterModel.forward}
 * for the duration of one call and read by every {@link AdapterLayer}; a thread-local, so
 * concurrent forwards on different threads each see their own rows.
 */
public final class AdapterRouting {

    private static final ThreadLocal<Map<String, NDArray>> CURRENT = new ThreadLocal<>();

    private AdapterRouting() {}

    /** Ends a routed forward on this thread. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Routes rows to adapters until the returned scope closes.
     *
     * @param rowMasks adapter name to {@code [batch]} float mask
     * @return the scope; close it in a finally block or try-with-resources
     * @throws IllegalStateException when this thread is already inside a routed forward
     */
    public static Scope route(Map<String, NDArray> rowMasks) {
        if (CURRENT.get() != null) {
            throw new IllegalStateException("a per-row adapter forward is already running on this thread");
        }
        CURRENT.set(Map.copyOf(rowMasks));
        return CURRENT::remove;
    }

    /**
     * The routing of the forward running on this thread.
     *
     * @return adapter name to row mask, or empty when adapters are chosen by activation
     */
    public static Optional<Map<String, NDArray>> current() {
        return Optional.ofNullable(CURRENT.get());
    }
}

package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Optional;

/**
 * The per-row adapter choice of the forward running on this thread: for each adapter name, a
 * {@code [batch]} float mask with 1 on the rows that use it, and the same rows as indices. Set by
 * {@code AdapterModel.forward} for the duration of one call and read by every {@link AdapterLayer};
 * a thread-local, so concurrent forwards on different threads each see their own rows.
 */
public final class AdapterRouting {

    private static final ThreadLocal<Routing> CURRENT = new ThreadLocal<>();

    private AdapterRouting() {}

    /** Ends a routed forward on this thread. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The rows of one routed forward.
     *
     * @param batch the batch size
     * @param masks adapter name to {@code [batch]} float mask
     * @param rows adapter name to the indices of its rows, ascending
     * @param kept arrays layers keep for every forward under this routing ({@code AdapterModel.prepareRows});
     *     null when the routing serves one forward
     */
    public record Routing(int batch, Map<String, NDArray> masks, Map<String, int[]> rows, RowArrayCache kept) {

        /**
         * The rows of one forward, with nothing kept across forwards.
         *
         * @param batch the batch size
         * @param masks adapter name to {@code [batch]} float mask
         * @param rows adapter name to the indices of its rows, ascending
         */
        public Routing(int batch, Map<String, NDArray> masks, Map<String, int[]> rows) {
            this(batch, masks, rows, null);
        }

        /**
         * Whether one adapter runs on every row of the batch.
         *
         * @param name an adapter name
         * @return true when no row uses another adapter or the base model
         */
        public boolean coversBatch(String name) {
            int[] used = rows.get(name);
            return used != null && used.length == batch;
        }
    }

    /**
     * Routes rows to adapters until the returned scope closes.
     *
     * @param batch the batch size
     * @param rowMasks adapter name to {@code [batch]} float mask
     * @param rowIndices adapter name to the indices of the rows that use it, the rows of its mask
     * @return the scope; close it in a finally block or try-with-resources
     * @throws IllegalStateException when this thread is already inside a routed forward
     */
    public static Scope route(int batch, Map<String, NDArray> rowMasks, Map<String, int[]> rowIndices) {
        return route(new Routing(batch, Map.copyOf(rowMasks), Map.copyOf(rowIndices)));
    }

    /**
     * Puts a routing in force until the returned scope closes; a routing prepared once may be put in
     * force for many forwards, and layers keep what they derive from it in its {@link Routing#kept()}.
     *
     * @param routing the rows
     * @return the scope; close it in a finally block or try-with-resources
     * @throws IllegalStateException when this thread is already inside a routed forward
     */
    public static Scope route(Routing routing) {
        if (CURRENT.get() != null) {
            throw new IllegalStateException("a per-row adapter forward is already running on this thread");
        }
        CURRENT.set(routing);
        return CURRENT::remove;
    }

    /**
     * The routing of the forward running on this thread.
     *
     * @return the rows of each adapter, or empty when adapters are chosen by activation
     */
    public static Optional<Routing> current() {
        return Optional.ofNullable(CURRENT.get());
    }
}

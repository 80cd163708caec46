package io.github.djladapters.runtime;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.methods.AdapterRouting;
import java.util.List;
import java.util.Set;

/**
 * A per-row adapter routing built once ({@link AdapterModel#prepareRows}) and put in force for many
 * forwards ({@link AdapterModel#routeRows(PreparedRows)}), such as the steps of a decoding batch whose
 * rows do not change: the row masks and indices are built once, and layers keep what they derive from
 * the rows (a LoRA layer's gathered per-row weights) until this is closed. It names adapter versions,
 * not a lock: adapters may be added and removed between two forwards; each forward checks that the
 * adapters of its rows are still there.
 */
public final class PreparedRows implements AutoCloseable {

    private final Object model;
    private final List<String> rowAdapters;
    private final Set<String> adapters;
    private final NDManager manager;
    private final AdapterRouting.Routing routing;

    PreparedRows(Object model, List<String> rowAdapters, Set<String> adapters, NDManager manager,
            AdapterRouting.Routing routing) {
        this.model = model;
        this.rowAdapters = List.copyOf(rowAdapters);
        this.adapters = Set.copyOf(adapters);
        this.manager = manager;
        this.routing = routing;
    }

    /**
     * The adapter of each row, as prepared.
     *
     * @return one name per row, {@code ""} or {@link AdapterModel#BASE_MODEL} for the base model
     */
    public List<String> rowAdapters() {
        return rowAdapters;
    }

    /**
     * The bytes layers keep for these rows now.
     *
     * @return bytes of the kept per-row arrays; 0 when they were prepared to keep nothing
     */
    public long keptBytes() {
        return routing.kept() == null ? 0 : routing.kept().keptBytes();
    }

    /**
     * Whether these rows are still open (not closed).
     *
     * @return false once {@link #close()} ran or the manager they were prepared in closed
     */
    public boolean isOpen() {
        return manager.isOpen();
    }

    Object model() {
        return model;
    }

    Set<String> adapters() {
        return adapters;
    }

    AdapterRouting.Routing routing() {
        return routing;
    }

    /** Frees the masks and every array kept for these rows; not while a forward runs with them. */
    @Override
    public void close() {
        manager.close();
    }
}

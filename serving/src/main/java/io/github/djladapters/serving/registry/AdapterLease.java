package io.github.djladapters.serving.registry;

/**
 * One row's hold on an adapter version ({@link AdapterRegistry#lease}): while it is open the
 * version is neither evicted nor removed, whatever registrations happen meanwhile.
 */
public final class AdapterLease implements AutoCloseable {

    private final AdapterRegistry registry;
    private final AdapterVersion version;
    private boolean closed;

    AdapterLease(AdapterRegistry registry, AdapterVersion version) {
        this.registry = registry;
        this.version = version;
    }

    /**
     * The name the row's adapter version has in the model.
     *
     * @return such as {@code a1#3}, or {@code ""} for the base model
     */
    public String modelName() {
        return version == null ? "" : version.modelName;
    }

    /** Lets the version go (once). */
    @Override
    public synchronized void close() {
        if (!closed && version != null) {
            registry.release(version);
        }
        closed = true;
    }
}

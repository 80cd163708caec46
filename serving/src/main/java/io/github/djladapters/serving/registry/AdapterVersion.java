package io.github.djladapters.serving.registry;

import java.nio.file.Path;

/**
 * One load of one adapter's weights into the model, under a name of its own ({@code a1#3}). A version
 * never changes: an update loads a new version beside it, and a version that is replaced or
 * unregistered is removed from the model only once no request uses it. Guarded by the registry's lock.
 */
final class AdapterVersion {

    final String name;
    final String modelName;
    final Path src;
    final long bytes;
    boolean pinned;
    int users;
    boolean retired;
    long lastUsed;

    AdapterVersion(String name, String modelName, Path src, long bytes, boolean pinned) {
        this.name = name;
        this.modelName = modelName;
        this.src = src;
        this.bytes = bytes;
        this.pinned = pinned;
    }

    @Override
    public String toString() {
        return modelName;
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values of every decoder layer for the positions seen so far, so that each
 * generation step only runs the new token. Arrays live in the cache's own manager; each
 * {@link #update} frees the previous arrays of that layer, so a generation loop holds one copy.
 *
 * <p>Keys and values are stored before any adapter extension (prefix tuning prepends its learned
 * positions again at every step, as PEFT does) and after rotary embeddings, shaped
 * {@code [B, kvHeads, P, headDim]}.
 */
public final class KeyValueCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;

    /**
     * An empty cache.
     *
     * @param parent the manager the cache's own manager is opened under
     * @param layers the number of decoder layers
     */
    public KeyValueCache(NDManager parent, int layers) {
        manager = parent.newSubManager();
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /**
     * How many positions are cached.
     *
     * @return 0 when empty
     */
    public long length() {
        return keys.length == 0 || keys[0] == null ? 0 : keys[0].getShape().get(2);
    }

    /**
     * The cached keys of one layer.
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, P, headDim]}, or {@code null} when nothing is cached yet
     */
    public NDArray keys(int layer) {
        return keys[layer];
    }

    /**
     * The cached values of one layer.
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, P, headDim]}, or {@code null} when nothing is cached yet
     */
    public NDArray values(int layer) {
        return values[layer];
    }

    /**
     * Replaces one layer's entry with all its keys and values so far, taking ownership of them.
     *
     * @param layer the layer index
     * @param allKeys cached plus new keys
     * @param allValues cached plus new values
     */
    public void update(int layer, NDArray allKeys, NDArray allValues) {
        NDArray oldKeys = keys[layer];
        NDArray oldValues = values[layer];
        allKeys.attach(manager);
        allValues.attach(manager);
        keys[layer] = allKeys;
        values[layer] = allValues;
        if (oldKeys != null && oldKeys != allKeys) {
            oldKeys.close();
        }
        if (oldValues != null && oldValues != allValues) {
            oldValues.close();
        }
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        manager.close();
    }
}

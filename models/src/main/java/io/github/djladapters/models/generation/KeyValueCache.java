package io.github.djladapters.models.generation;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * The keys and values of every decoder layer for the positions seen so far, so that each
 * generation step only runs the new token. Keys and values are stored before any adapter extension
 * (prefix tuning prepends its learned positions again at every step, as PEFT does) and after rotary
 * embeddings, shaped {@code [B, kvHeads, P, headDim]}.
 *
 * <p>Two ways of keeping them:
 * <ul>
 *   <li>{@linkplain #KeyValueCache(NDManager, int, int) preallocated}: each layer gets one buffer of
 *       {@code capacity} positions at its first update, and every later step writes its new keys and
 *       values into the buffer in place ({@link #appendTo}); the layers read views of the filled part,
 *       owned by the step that reads them, so a step allocates nothing that outlives it;</li>
 *   <li>{@linkplain #KeyValueCache(NDManager, int) growing}: each {@link #update} replaces a layer's
 *       arrays (the layer concatenated the cached and new positions) and frees the previous ones, for
 *       batches whose rows and lengths change between steps.</li>
 * </ul>
 */
public final class KeyValueCache implements AutoCloseable {

    /**
     * The key under which {@link DecoderStack} passes a layer its {@link Append} in the forward's
     * parameters; {@link DecoderLayerInputs#withCachedKeys} and {@code withCachedValues} use it.
     */
    public static final String APPEND_PARAM = "djl_adapters.key_value_append";

    private final NDManager manager;
    private final int capacity;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final long[] lengths;
    private final NDArray[] appendedKeys; // the views the last append handed out, recognised by update
    private final NDArray[] appendedValues;

    /**
     * An empty growing cache.
     *
     * @param parent the manager the cache's own manager is opened under
     * @param layers the number of decoder layers
     */
    public KeyValueCache(NDManager parent, int layers) {
        this(parent, layers, 0);
    }

    /**
     * An empty cache that preallocates room for {@code capacity} positions per layer at the first
     * update (and grows by copying, should a sequence outrun it).
     *
     * @param parent the manager the cache's own manager is opened under
     * @param layers the number of decoder layers
     * @param capacity the positions to reserve (prompt plus new tokens); 0 for a growing cache
     */
    public KeyValueCache(NDManager parent, int layers, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
        }
        manager = parent.newSubManager();
        this.capacity = capacity;
        keys = new NDArray[layers];
        values = new NDArray[layers];
        lengths = new long[layers];
        appendedKeys = new NDArray[layers];
        appendedValues = new NDArray[layers];
    }

    /**
     * Whether the cache writes new positions into preallocated buffers.
     *
     * @return true for a cache made with a capacity
     */
    public boolean preallocated() {
        return capacity > 0;
    }

    /**
     * How many positions are cached.
     *
     * @return 0 when empty
     */
    public long length() {
        return lengths.length == 0 ? 0 : lengths[0];
    }

    /**
     * The cached keys of one layer. For a preallocated cache this is a view of the filled part,
     * owned by the cache; a forward pass reads them through {@link #read}.
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, P, headDim]}, or {@code null} when nothing is cached yet
     */
    public NDArray keys(int layer) {
        return filled(keys[layer], layer, manager);
    }

    /**
     * The cached values of one layer (a view of the filled part for a preallocated cache).
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, P, headDim]}, or {@code null} when nothing is cached yet
     */
    public NDArray values(int layer) {
        return filled(values[layer], layer, manager);
    }

    /**
     * The cached keys and values of one layer for a forward pass: for a preallocated cache, views
     * owned by {@code scope}, so that what the layer derives from them is freed with the step.
     *
     * @param layer the layer index
     * @param scope the forward pass's manager
     * @return {@code (keys, values)}, or an empty list when nothing is cached yet
     */
    public NDList read(int layer, NDManager scope) {
        if (keys[layer] == null) {
            return new NDList();
        }
        return new NDList(filled(keys[layer], layer, scope), filled(values[layer], layer, scope));
    }

    /**
     * The forward parameters of one layer: {@code params} plus the layer's {@link Append} under
     * {@link #APPEND_PARAM} when the cache is preallocated and holds the layer's earlier positions.
     *
     * @param layer the layer index
     * @param params the forward's parameters, or {@code null}
     * @return the parameters to pass to the layer
     */
    public PairList<String, Object> layerParams(int layer, PairList<String, Object> params) {
        if (!preallocated() || keys[layer] == null) {
            return params;
        }
        PairList<String, Object> own = new PairList<>();
        if (params != null) {
            params.forEach(p -> {
                if (!APPEND_PARAM.equals(p.getKey())) {
                    own.add(p.getKey(), p.getValue());
                }
            });
        }
        own.add(APPEND_PARAM, new Append(this, layer));
        return own;
    }

    /**
     * Records one layer's keys and values of all positions so far. Arrays that {@link #appendTo}
     * handed out are already in place; a preallocated cache copies others into its buffer (the
     * prompt's, at the first step); a growing cache takes ownership of them and frees the previous.
     *
     * @param layer the layer index
     * @param allKeys cached plus new keys
     * @param allValues cached plus new values
     */
    public void update(int layer, NDArray allKeys, NDArray allValues) {
        long length = allKeys.getShape().get(2);
        if (preallocated()) {
            if (allKeys != appendedKeys[layer] || allValues != appendedValues[layer]) {
                ensureRoom(layer, allKeys.getShape(), allKeys.getDataType(), allKeys.getDevice(), length);
                NDIndex filled = positions(0, length);
                keys[layer].set(filled, allKeys);
                values[layer].set(filled, allValues);
            }
            appendedKeys[layer] = null;
            appendedValues[layer] = null;
            lengths[layer] = length;
            return;
        }
        NDArray oldKeys = keys[layer];
        NDArray oldValues = values[layer];
        allKeys.attach(manager);
        allValues.attach(manager);
        keys[layer] = allKeys;
        values[layer] = allValues;
        lengths[layer] = length;
        if (oldKeys != null && oldKeys != allKeys) {
            oldKeys.close();
        }
        if (oldValues != null && oldValues != allValues) {
            oldValues.close();
        }
    }

    /**
     * Writes a layer's new keys or values after the cached positions, in place, and returns a view of
     * all positions so far, owned by the manager of {@code fresh}.
     */
    private NDArray appendTo(int layer, NDArray fresh, boolean isKey) {
        long start = lengths[layer];
        long end = start + fresh.getShape().get(2);
        ensureRoom(layer, fresh.getShape(), fresh.getDataType(), fresh.getDevice(), end);
        NDArray buffer = isKey ? keys[layer] : values[layer];
        buffer.set(positions(start, end), fresh);
        NDArray all = buffer.get(positions(0, end));
        all.attach(fresh.getManager());
        if (isKey) {
            appendedKeys[layer] = all;
        } else {
            appendedValues[layer] = all;
        }
        return all;
    }

    /**
     * The whole key and value buffers of every layer, with room for {@code needed} positions, for a
     * step that writes its new positions into them itself (a fused decode step); call
     * {@link #filledTo} after it wrote them. A preallocated cache only.
     *
     * @param like the shape of one layer's new keys {@code [B, kvHeads, T, headDim]}
     * @param dataType the keys' data type
     * @param device the keys' device
     * @param needed the positions filled after the step
     * @return {@code (keys of layer 0, ..., keys of the last layer, values of layer 0, ...)}, owned by the cache
     * @throws IllegalStateException when the cache is a growing one
     */
    public NDArray[] buffers(Shape like, DataType dataType, Device device, long needed) {
        if (!preallocated()) {
            throw new IllegalStateException("only a preallocated cache hands out its buffers");
        }
        NDArray[] out = new NDArray[2 * keys.length];
        for (int layer = 0; layer < keys.length; layer++) {
            ensureRoom(layer, like, dataType, device, needed);
            out[layer] = keys[layer];
            out[keys.length + layer] = values[layer];
        }
        return out;
    }

    /**
     * Records that every layer's buffers now hold {@code length} positions, written in place after
     * {@link #buffers}.
     *
     * @param length the positions filled
     */
    public void filledTo(long length) {
        Arrays.fill(lengths, length);
    }

    /** Allocates the layer's buffers, or grows them (keeping the filled part) when {@code needed} exceeds them. */
    private void ensureRoom(int layer, Shape s, DataType dataType, Device device, long needed) {
        if (keys[layer] != null && keys[layer].getShape().get(2) >= needed) {
            return;
        }
        long room = Math.max(needed, keys[layer] == null ? capacity : 2 * keys[layer].getShape().get(2));
        Shape shape = new Shape(s.get(0), s.get(1), room, s.get(3));
        NDArray newKeys = manager.zeros(shape, dataType, device);
        NDArray newValues = manager.zeros(shape, dataType, device);
        if (keys[layer] != null && lengths[layer] > 0) {
            NDIndex filled = positions(0, lengths[layer]);
            try (NDManager scope = manager.newSubManager()) {
                NDArray oldKeys = keys[layer].get(filled);
                NDArray oldValues = values[layer].get(filled);
                oldKeys.attach(scope);
                oldValues.attach(scope);
                newKeys.set(filled, oldKeys);
                newValues.set(filled, oldValues);
            }
        }
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = newKeys;
        values[layer] = newValues;
    }

    private NDArray filled(NDArray stored, int layer, NDManager owner) {
        if (stored == null || !preallocated()) {
            return stored;
        }
        NDArray view = stored.get(positions(0, lengths[layer]));
        view.attach(owner);
        return view;
    }

    /** Positions {@code [from, to)} of a {@code [B, kvHeads, P, headDim]} array (built, not parsed: this runs per layer and step). */
    private static NDIndex positions(long from, long to) {
        return new NDIndex().addAllDim(2).addSliceDim(from, to);
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        manager.close();
    }

    /**
     * One layer's handle on a preallocated cache during one forward pass: writes the new positions in
     * place and returns views of all positions.
     */
    public static final class Append {

        private final KeyValueCache cache;
        private final int layer;

        private Append(KeyValueCache cache, int layer) {
            this.cache = cache;
            this.layer = layer;
        }

        /**
         * Appends new keys.
         *
         * @param fresh {@code [B, kvHeads, T, headDim]}
         * @return the keys of all positions {@code [B, kvHeads, P + T, headDim]}, a view owned by
         *     the manager of {@code fresh}
         */
        public NDArray keys(NDArray fresh) {
            return cache.appendTo(layer, fresh, true);
        }

        /**
         * Appends new values.
         *
         * @param fresh {@code [B, kvHeads, T, headDim]}
         * @return the values of all positions, a view owned by the manager of {@code fresh}
         */
        public NDArray values(NDArray fresh) {
            return cache.appendTo(layer, fresh, false);
        }

        /**
         * The layer's append handle among a forward's parameters.
         *
         * @param params the parameters a layer received, or {@code null}
         * @return the handle, or {@code null} when there is none
         */
        public static Append of(PairList<String, Object> params) {
            return params == null ? null : (Append) params.get(APPEND_PARAM);
        }
    }
}

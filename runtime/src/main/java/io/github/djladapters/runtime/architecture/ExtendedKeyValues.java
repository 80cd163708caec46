package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * Keys and values after a {@link KeyValueExtension}: {@code prefixLength} positions prepended to the
 * layer's own, an additive mask for the prepended positions only, and where those positions sit, for
 * attention with relative positions (T5 adds its relative position bias for the prepended keys, see
 * {@link KeyValueAttention#placesPrependedKeys}).
 *
 * @param keys the keys, {@code [batch, heads, prefixLength + seq, headDim]}
 * @param values the values, {@code [batch, heads, prefixLength + seq, headDim]}
 * @param prefixLength how many positions were prepended
 * @param prefixMask additive mask for the prepended positions, broadcastable to
 *     {@code [batch, heads, querySeq, prefixLength]} (0 attends, a large negative value hides), or
 *     {@code null} to attend to all of them
 * @param prefixPositions the positions of the prepended keys relative to the row's first own key
 *     (the last prepended key a row sees at -1), {@code [1 or batch, prefixLength]} int64; {@code null}
 *     for {@code -prefixLength .. -1} on every row
 */
public record ExtendedKeyValues(NDArray keys, NDArray values, long prefixLength, NDArray prefixMask,
        NDArray prefixPositions) {

    /**
     * Checks that keys and values are present and the prefix is not negative.
     *
     * @throws IllegalArgumentException otherwise
     */
    public ExtendedKeyValues {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (prefixLength < 0 || prefixLength > keys.getShape().get(2)) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " does not fit keys of shape "
                    + keys.getShape());
        }
    }

    /**
     * Prepended keys and values at the default positions {@code -prefixLength .. -1}.
     *
     * @param keys the keys, {@code [batch, heads, prefixLength + seq, headDim]}
     * @param values the values
     * @param prefixLength how many positions were prepended
     * @param prefixMask additive mask for the prepended positions, or {@code null}
     */
    public ExtendedKeyValues(NDArray keys, NDArray values, long prefixLength, NDArray prefixMask) {
        this(keys, values, prefixLength, prefixMask, null);
    }

    /**
     * The positions of the prepended keys relative to each row's first own key.
     *
     * @return {@code prefixPositions}, or {@code [1, prefixLength]} of {@code -prefixLength .. -1}
     *     (int64, in the keys' manager) when it is null
     */
    public NDArray prependedPositions() {
        if (prefixPositions != null) {
            return prefixPositions;
        }
        return keys.getManager().arange(-prefixLength, 0L, 1L, DataType.INT64).reshape(1, prefixLength);
    }

    /**
     * The layer's own keys and values, nothing prepended.
     *
     * @param keys the keys
     * @param values the values
     * @return the unchanged keys and values
     */
    public static ExtendedKeyValues unchanged(NDArray keys, NDArray values) {
        return new ExtendedKeyValues(keys, values, 0, null);
    }

    /**
     * Prepends prefix keys and values along the sequence axis, repeating a batch of one.
     *
     * @param prefixKeys {@code [1 or batch, heads, prefixLength, headDim]}
     * @param prefixValues {@code [1 or batch, heads, prefixLength, headDim]}
     * @param keys the layer's keys, {@code [batch, heads, seq, headDim]}
     * @param values the layer's values, {@code [batch, heads, seq, headDim]}
     * @return the extended keys and values, attending to every prefix position
     */
    public static ExtendedKeyValues prepend(NDArray prefixKeys, NDArray prefixValues, NDArray keys, NDArray values) {
        long batch = keys.getShape().get(0);
        return new ExtendedKeyValues(
                prefixKeys.broadcast(batchOf(prefixKeys, batch)).concat(keys, 2),
                prefixValues.broadcast(batchOf(prefixValues, batch)).concat(values, 2),
                prefixKeys.getShape().get(2), null);
    }

    /**
     * The additive mask over all keys: the prefix mask followed by the block's own mask.
     *
     * @param ownMask the block's additive mask over its own keys, 4-d and broadcastable to
     *     {@code [batch, heads, querySeq, seq]}, or {@code null} for none
     * @return the mask over {@code prefixLength + seq} keys, or {@code null} when nothing is masked
     */
    public NDArray attentionMask(NDArray ownMask) {
        if (prefixLength == 0) {
            return ownMask;
        }
        if (prefixMask == null && ownMask == null) {
            return null;
        }
        long seq = keys.getShape().get(2) - prefixLength;
        NDArray own = ownMask != null ? ownMask : keys.getManager().zeros(new Shape(1, 1, 1, seq), keys.getDataType());
        NDArray prefix = prefixMask != null ? prefixMask
                : keys.getManager().zeros(new Shape(1, 1, 1, prefixLength), keys.getDataType());
        // both parts broadcast to the same leading dimensions before they join along the key axis
        Shape lead = broadcastLead(own.getShape(), prefix.getShape());
        return NDArrays.concat(new NDList(
                prefix.broadcast(lead.add(prefixLength)), own.broadcast(lead.add(seq))), 3);
    }

    private static Shape batchOf(NDArray prefix, long batch) {
        Shape shape = prefix.getShape();
        return new Shape(batch, shape.get(1), shape.get(2), shape.get(3));
    }

    private static Shape broadcastLead(Shape a, Shape b) {
        long[] lead = new long[3];
        for (int i = 0; i < 3; i++) {
            lead[i] = Math.max(a.get(i), b.get(i));
        }
        return new Shape(lead);
    }
}

package io.github.djladapters.runtime.methods.virtualtokens;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Which rows of a batch see which virtual tokens, for prompt tuning and prefix tuning: the applied
 * adapters' virtual tokens one segment after another, each segment seen by every row, or by the rows
 * of its mask when a batch is routed per row. Each row counts only the virtual tokens it sees, so its
 * real tokens move right by exactly that many positions, as they would with that adapter alone.
 */
public final class VirtualTokenRows {

    private final NDManager manager;
    private final long batch;
    private final NDArray seen; // [B, N] float, 1 where the row sees the virtual token
    private final long length;

    private VirtualTokenRows(NDManager manager, long batch, NDArray seen, long length) {
        this.manager = manager;
        this.batch = batch;
        this.seen = seen;
        this.length = length;
    }

    /**
     * One applied adapter's virtual tokens.
     *
     * @param length how many
     * @param rows the {@code [batch]} row mask of a routed adapter, or null when every row uses it
     */
    public record Segment(int length, NDArray rows) {}

    /**
     * The segments of one forward.
     *
     * @param segments per applied adapter, in order
     * @param batch the batch size
     * @param manager owns the arrays made here (the forward's)
     * @return the rows
     */
    public static VirtualTokenRows of(List<Segment> segments, long batch, NDManager manager) {
        NDList parts = new NDList();
        long length = 0;
        for (Segment segment : segments) {
            int n = segment.length();
            NDArray rows = segment.rows();
            parts.add(rows == null ? manager.ones(new Shape(batch, n))
                    : rows.toType(DataType.FLOAT32, false).reshape(batch, 1).broadcast(new Shape(batch, n)));
            length += n;
        }
        NDArray seen = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1);
        return new VirtualTokenRows(manager, batch, seen, length);
    }

    /**
     * How many virtual tokens there are in all.
     *
     * @return the sum over the segments
     */
    public long length() {
        return length;
    }

    /**
     * The attention mask over the virtual tokens.
     *
     * @param type the type of the model's mask
     * @return {@code [batch, length]}, 1 where the row sees the token
     */
    public NDArray mask(DataType type) {
        return seen.toType(type, false);
    }

    /**
     * An additive attention mask over the virtual tokens, for {@code ExtendedKeyValues}.
     *
     * @return {@code [batch, 1, 1, length]}, 0 where seen and the lowest float elsewhere; null when
     *     every row sees every token
     */
    public NDArray additiveMask() {
        if (seen.min().getFloat() > 0) {
            return null;
        }
        return seen.sub(1f).mul(Float.MAX_VALUE).reshape(batch, 1, 1, length);
    }

    /**
     * How far each row's real tokens move right.
     *
     * @param type the type of the position ids
     * @return {@code [batch, 1]}: the number of virtual tokens the row sees
     */
    public NDArray shift(DataType type) {
        return seen.sum(new int[] {1}, true).toType(type, false);
    }

    /**
     * The position ids of the virtual tokens: each row counts the tokens it sees from {@code first}
     * (tokens it does not see repeat a neighbour's position; they are masked out).
     *
     * @param first {@code [batch, 1]}, the position of a row's first real token without virtual tokens
     * @return {@code [batch, length]}, of the type of {@code first}
     */
    public NDArray positions(NDArray first) {
        NDArray counted = seen.cumSum(1).sub(1f).maximum(0f).toType(first.getDataType(), false);
        return counted.add(first);
    }

    /**
     * The position of each row's first real token: the smallest position id over its attended tokens
     * (0 for BERT, GPT-2 and Llama; RoBERTa starts after its padding id).
     *
     * @param positions {@code [batch, seq]}
     * @param mask {@code [batch, seq]}, 1 for real tokens
     * @return {@code [batch, 1]}
     */
    public static NDArray firstPosition(NDArray positions, NDArray mask) {
        NDArray real = mask.toType(DataType.BOOLEAN, false);
        NDArray large = positions.onesLike().mul(1 << 30);
        return NDArrays.where(real, positions, large).min(new int[] {1}, true);
    }
}

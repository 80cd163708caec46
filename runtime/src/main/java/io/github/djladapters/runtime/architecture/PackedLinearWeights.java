package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.engine.EngineServices;
import io.github.djladapters.runtime.engine.TransposedStorage;
import io.github.djladapters.runtime.engine.WeightsSnapshot;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The packed copies of one {@link FlatLinear}'s weight for inference products through the engine's
 * {@link LinearPacking}: built on the first qualifying forward, one per input row count (at most
 * {@value #ROW_COUNTS}; further row counts take the plain product), and dropped when they may no
 * longer hold the weight's values: the weight's array is another object or has another native tensor
 * (a checkpoint load, a merge or unmerge, a device move), an array anywhere had its storage swapped
 * ({@link ArrayValues#replacements()}; the three checks of a {@link WeightsSnapshot}), or a forward
 * ran in training or with autograd on (after which an optimizer may update the weight in place). A
 * weight written in place outside training by other code needs {@link FlatLinear#releasePacked()}.
 *
 * <p>Memory: oneDNN's reordered copy is the weight's size (42.5 MB for all-MiniLM-L6-v2's 36
 * projections, per row count kept); MKL's packed buffer grows with the row count it was packed for
 * (for 1,024 rows, 13.4x a 384 x 384 weight and 4.5x a 384 x 1536 one: 317 MB for MiniLM). The copies
 * belong to a sub-manager of the weight's manager, so they go with the model at the latest.
 *
 * <p>Applies where the engine says so (PyTorch on the CPU, float32, autograd off), to row-major
 * weights (not to {@link TransposedStorage}), for inputs of at least {@link #minimumRows()} rows.
 *
 * <p>Off by default: on all-MiniLM-L6-v2's forward neither MKL's nor oneDNN's packed product gave a
 * margin beyond the machine's noise at one thread (docs/benchmarks.md, the end). The system property
 * {@value #PROPERTY} switches it on: {@code true} or {@code mkl} for MKL's packed GEMM, {@code onednn}
 * for oneDNN's reordered weight; {@code false} (or nothing) keeps every product plain.
 */
public final class PackedLinearWeights {

    /** The system property that switches packed products on ({@code true}, {@code mkl}, {@code onednn}). */
    public static final String PROPERTY = "djladapters.linear.packed";

    /** The most row counts one projection keeps a packed copy for. */
    static final int ROW_COUNTS = 2;

    private static final LinearPacking PACKING = EngineServices.first(LinearPacking.class, PackedLinearWeights.class,
            "packed linear products");
    private static volatile boolean enabled = byProperty();
    private static volatile long minimumRows = 128;
    private static final AtomicLong PRODUCTS = new AtomicLong();

    /** What the packed copies were made from; null while none are kept (read without the lock). */
    private volatile WeightsSnapshot snapshot;
    private NDManager manager;
    private final Map<Long, NDArray> byRows = new HashMap<>();

    PackedLinearWeights() {}

    /**
     * Whether packed products are switched on (they still run only where the class comment says).
     *
     * @return the switch
     */
    public static boolean enabled() {
        return enabled && PACKING != null;
    }

    /**
     * Whether {@value #PROPERTY} asks for packed products.
     *
     * @return true for {@code true}, {@code mkl} or {@code onednn}
     */
    public static boolean byProperty() {
        String value = System.getProperty(PROPERTY, "false").trim().toLowerCase(java.util.Locale.ROOT);
        return value.equals("true") || value.equals("mkl") || value.equals("onednn");
    }

    /**
     * Switches packed products on or off for the whole process (tests, A/B measurements).
     *
     * @param on true for packed products where they apply
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * How many products ran packed in this process, for tests and benchmarks that check the path taken.
     *
     * @return a counter that only grows
     */
    public static long products() {
        return PRODUCTS.get();
    }

    /**
     * The fewest input rows a product needs to take the packed path (below, packing costs more than
     * it saves).
     *
     * @return rows, all leading dimensions together
     */
    public static long minimumRows() {
        return minimumRows;
    }

    /**
     * Sets {@link #minimumRows()} for the whole process.
     *
     * @param rows the fewest rows, at least 1
     */
    public static void setMinimumRows(long rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("minimum rows must be at least 1, got " + rows);
        }
        minimumRows = rows;
    }

    /**
     * {@code x W^T + b} through a packed copy of {@code w}, or null when the packed path does not
     * apply (the caller then runs the plain product).
     */
    NDArray project(NDArray x, NDArray w, NDArray b) {
        if (!enabled || PACKING == null) {
            return null;
        }
        if (!PACKING.applies(x, w)) {
            release(); // autograd may be on: an optimizer may change the weight in place next
            return null;
        }
        long in = w.getShape().get(1);
        long rows = x.size() / in;
        if (rows < minimumRows || TransposedStorage.isStored(w)) {
            return null;
        }
        NDArray packed = packedFor(w, rows);
        if (packed == null) {
            return null;
        }
        PRODUCTS.incrementAndGet();
        return PACKING.product(x, packed, w, b, rows);
    }

    private synchronized NDArray packedFor(NDArray w, long rows) {
        if (snapshot == null || !snapshot.stillHolds(w)) {
            release();
            snapshot = WeightsSnapshot.of(w);
        }
        NDArray packed = byRows.get(rows);
        if (packed == null && byRows.size() < ROW_COUNTS) {
            if (manager == null) {
                manager = w.getManager().newSubManager();
            }
            packed = PACKING.pack(w, rows);
            packed.attach(manager);
            byRows.put(rows, packed);
        }
        return packed;
    }

    /**
     * Frees the packed copies; the next qualifying forward packs again. Without a lock when nothing is
     * kept (every training forward calls this).
     */
    void release() {
        if (snapshot == null) {
            return;
        }
        synchronized (this) {
            if (manager != null) {
                manager.close(); // closes the packed copies attached to it
                manager = null;
            }
            byRows.clear();
            snapshot = null;
        }
    }

    /** How many packed copies are kept now. */
    synchronized int kept() {
        return byRows.size();
    }
}

package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Arrays that layers derive from one per-row routing and keep for every forward run under it, such
 * as the per-row LoRA weights a layer gathers for the rows of a decoding batch: gathered once, they
 * serve every decoding step until the batch's rows change. An entry belongs to one layer and holds
 * the object it was derived from (the layer's stacked weights); a forward that finds another source
 * derives the arrays again. Kept arrays stay under a byte budget: past it, arrays are derived for the
 * calling forward only. Freed when the routing's manager closes.
 */
public final class RowArrayCache {

    /** The default budget: what one routing may keep across forwards. */
    public static final long DEFAULT_BUDGET_BYTES = 64L << 20;

    private final NDManager manager;
    private final long budgetBytes;
    private final Map<Object, Entry> entries = new IdentityHashMap<>();
    private long keptBytes;

    /** One layer's kept arrays, the source they come from, their manager and size. */
    private record Entry(Object source, NDList arrays, NDManager manager, long bytes) {}

    /**
     * An empty cache.
     *
     * @param manager receives the kept arrays (in sub-managers of their own)
     * @param budgetBytes the most bytes kept at once
     */
    public RowArrayCache(NDManager manager, long budgetBytes) {
        this.manager = manager;
        this.budgetBytes = budgetBytes;
    }

    /**
     * A layer's arrays derived from a source: the kept ones when the layer kept arrays from this very
     * source, otherwise derived now (and kept when the budget allows; arrays an older source gave the
     * layer are freed first).
     *
     * @param owner the layer, by identity
     * @param source what the arrays derive from, by identity
     * @param derive makes the arrays in the manager it is given
     * @param caller receives the arrays when they are not kept, so that they free with the forward
     * @return the arrays; the caller must not close kept ones
     */
    public synchronized NDList computeIfAbsent(Object owner, Object source, Function<NDManager, NDList> derive,
            NDManager caller) {
        Entry entry = entries.get(owner);
        if (entry != null && entry.source() == source) {
            return entry.arrays();
        }
        if (entry != null) {
            entries.remove(owner);
            keptBytes -= entry.bytes();
            entry.manager().close();
        }
        NDManager own = manager.newSubManager();
        NDList arrays;
        try {
            arrays = derive.apply(own);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
        long bytes = 0;
        for (NDArray array : arrays) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        if (keptBytes + bytes > budgetBytes) {
            arrays.attach(caller);
            own.close();
            return arrays;
        }
        entries.put(owner, new Entry(source, arrays, own, bytes));
        keptBytes += bytes;
        return arrays;
    }

    /**
     * The bytes kept now.
     *
     * @return bytes of the kept arrays
     */
    public synchronized long keptBytes() {
        return keptBytes;
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A running generation batch that rows join and leave between tokens (iteration-level, or
 * continuous, batching as vLLM and LoRAX do it). Each row has its own sampling settings and its own
 * seeded sampler, its own slice of the key/value cache and its own attention-mask row; a row's tokens
 * equal those of running it alone with {@link Generator}. Joining rows are prefilled in one forward
 * of their own and their cache is padded on the left and stacked under the running rows'; leaving
 * rows are cut out of the cache, and columns that only padding still uses are dropped.
 *
 * <pre>{@code
 * try (DecodingBatch batch = new DecodingBatch(model, manager)) {
 *     int[] first = batch.join(List.of(prompt), List.of(GenerationConfig.greedy(16)));
 *     while (...) { int[] next = batch.step(); ... batch.leave(new boolean[] {true}); }
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one thread drives a batch. The caller routes rows to adapters around
 * {@link #join} (the joining rows only) and {@link #step} (every row, in order).
 */
public final class DecodingBatch implements AutoCloseable {

    private final CausalLanguageModel model;
    private final NDManager manager;
    private final List<TokenSampler> samplers = new ArrayList<>();
    private final List<Boolean> sampling = new ArrayList<>(); // false: greedy, served from one argmax of the batch
    private KeyValueCache cache;
    private NDArray mask; // [B, cache length], 1 for real positions
    private int[] pending = new int[0]; // each row's last sampled token, fed at the next step

    /**
     * An empty batch.
     *
     * @param model the model
     * @param manager owns the cache and masks until {@link #close()}
     */
    public DecodingBatch(CausalLanguageModel model, NDManager manager) {
        this.model = model;
        this.manager = manager.newSubManager();
    }

    /**
     * The number of rows.
     *
     * @return rows in the batch
     */
    public int size() {
        return pending.length;
    }

    /**
     * Adds rows at the end of the batch: runs their prompts in one forward (call it with the new rows
     * routed) and samples each one's first token.
     *
     * @param prompts token ids, at least one each
     * @param configs each row's sampling settings ({@code maxNewTokens} and stop tokens are the
     *     caller's to apply)
     * @return each new row's first token
     */
    public int[] join(List<int[]> prompts, List<GenerationConfig> configs) {
        int rows = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        long[] ids = new long[rows * longest];
        long[] seen = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            int[] prompt = prompts.get(r);
            if (prompt.length == 0) {
                throw new IllegalArgumentException("every prompt needs at least one token");
            }
            int pad = longest - prompt.length;
            for (int t = 0; t < pad; t++) {
                ids[r * longest + t] = configs.get(r).padTokenId();
            }
            for (int t = 0; t < prompt.length; t++) {
                ids[r * longest + pad + t] = prompt[t];
                seen[r * longest + pad + t] = 1;
            }
        }
        int[] first = new int[rows];
        KeyValueCache joining = new KeyValueCache(manager, model.numLayers());
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager scope = manager.newSubManager()) {
            NDArray idArray = scope.create(ids, new Shape(rows, longest));
            NDArray newMask = scope.create(seen, new Shape(rows, longest));
            NDArray logits = model.logits(new ParameterStore(scope, false), idArray, newMask,
                    CausalAttentionMask.positionIds(newMask, longest), joining, true);
            NDArray last = logits.reshape(rows, logits.getShape().get(2));
            for (int r = 0; r < rows; r++) {
                samplers.add(new TokenSampler(configs.get(r)));
                sampling.add(configs.get(r).doSample());
            }
            int[] picked = pick(last, samplers.size() - rows);
            System.arraycopy(picked, 0, first, 0, rows);
            stack(joining, newMask, scope);
        } finally {
            joining.close();
        }
        int[] all = new int[pending.length + rows];
        System.arraycopy(pending, 0, all, 0, pending.length);
        System.arraycopy(first, 0, all, pending.length, rows);
        pending = all;
        return first;
    }

    /**
     * Feeds every row its last token and samples the next (call it with every row routed, in order).
     *
     * @return each row's next token
     */
    public int[] step() {
        int rows = pending.length;
        long[] ids = new long[rows];
        for (int r = 0; r < rows; r++) {
            ids[r] = pending[r];
        }
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager scope = manager.newSubManager()) {
            replaceMask(mask.concat(scope.ones(new Shape(rows, 1), DataType.INT64), 1));
            scope.tempAttachAll(mask); // what the model derives from the mask is freed with the scope
            NDArray idArray = scope.create(ids, new Shape(rows, 1));
            NDArray logits = model.logits(new ParameterStore(scope, false), idArray, mask,
                    CausalAttentionMask.positionIds(mask, 1), cache, true);
            pending = pick(logits.reshape(rows, logits.getShape().get(2)), 0);
        }
        compactCache();
        return pending.clone();
    }

    /**
     * Each row's next token: greedy rows from one argmax over the batch, sampling rows from their own
     * seeded sampler (so a row draws what it draws alone).
     *
     * @param logits {@code [rows, vocab]}
     * @param firstRow the batch position of the logits' first row
     */
    private int[] pick(NDArray logits, int firstRow) {
        int rows = Math.toIntExact(logits.getShape().get(0));
        long[] argmax = logits.argMax(-1).toLongArray();
        int[] tokens = new int[rows];
        for (int r = 0; r < rows; r++) {
            tokens[r] = sampling.get(firstRow + r) ? samplers.get(firstRow + r).next(logits.get(r + ":" + (r + 1)))[0]
                    : Math.toIntExact(argmax[r]);
        }
        return tokens;
    }

    /**
     * Removes rows; the others keep their order.
     *
     * @param leaving true for each row to remove
     */
    public void leave(boolean[] leaving) {
        int kept = 0;
        for (boolean l : leaving) {
            kept += l ? 0 : 1;
        }
        if (kept == pending.length) {
            return;
        }
        int[] keptPending = new int[kept];
        List<TokenSampler> keptSamplers = new ArrayList<>();
        List<Boolean> keptSampling = new ArrayList<>();
        boolean[] keep = new boolean[pending.length];
        for (int r = 0, k = 0; r < pending.length; r++) {
            keep[r] = !leaving[r];
            if (keep[r]) {
                keptPending[k++] = pending[r];
                keptSamplers.add(samplers.get(r));
                keptSampling.add(sampling.get(r));
            }
        }
        pending = keptPending;
        samplers.clear();
        samplers.addAll(keptSamplers);
        sampling.clear();
        sampling.addAll(keptSampling);
        if (kept == 0) {
            cache.close();
            cache = null;
            mask.close();
            mask = null;
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray rows = scope.create(keep);
            NDArray keptMask = mask.get(rows);
            keptMask.attach(scope);
            long[] perColumn = keptMask.sum(new int[] {0}).toLongArray();
            int drop = 0;
            while (drop < perColumn.length && perColumn[drop] == 0) {
                drop++;
            }
            NDIndex columns = new NDIndex(":, " + drop + ":");
            NDIndex cacheColumns = new NDIndex(":, :, " + drop + ":, :");
            for (int layer = 0; layer < model.numLayers(); layer++) {
                NDArray keys = cache.keys(layer).get(rows);
                NDArray values = cache.values(layer).get(rows);
                keys.attach(scope); // the row selection is a copy; the column slice below is what stays
                values.attach(scope);
                cache.update(layer, keys.get(cacheColumns).duplicate(), values.get(cacheColumns).duplicate());
            }
            replaceMask(keptMask.get(columns).duplicate());
        }
    }

    /** Pads the joining rows' cache and mask (or the running ones') on the left and stacks them. */
    private void stack(KeyValueCache joining, NDArray joiningMask, NDManager scope) {
        if (cache == null) {
            cache = new KeyValueCache(manager, model.numLayers());
            for (int layer = 0; layer < model.numLayers(); layer++) {
                cache.update(layer, joining.keys(layer).duplicate(), joining.values(layer).duplicate());
            }
            replaceMask(joiningMask.duplicate());
            return;
        }
        long running = mask.getShape().get(1);
        long added = joiningMask.getShape().get(1);
        long width = Math.max(running, added);
        for (int layer = 0; layer < model.numLayers(); layer++) {
            NDArray keys = NDArrays.concat(new NDList(leftPad(cache.keys(layer), width, scope),
                    leftPad(joining.keys(layer), width, scope)), 0);
            NDArray values = NDArrays.concat(new NDList(leftPad(cache.values(layer), width, scope),
                    leftPad(joining.values(layer), width, scope)), 0);
            cache.update(layer, keys, values);
        }
        replaceMask(NDArrays.concat(new NDList(leftPadMask(mask, width, scope), leftPadMask(joiningMask, width, scope)), 0));
    }

    private static NDArray leftPad(NDArray kv, long width, NDManager scope) {
        Shape shape = kv.getShape();
        long missing = width - shape.get(2);
        if (missing == 0) {
            return kv;
        }
        NDArray zeros = scope.zeros(new Shape(shape.get(0), shape.get(1), missing, shape.get(3)), kv.getDataType());
        return zeros.concat(kv, 2);
    }

    private static NDArray leftPadMask(NDArray m, long width, NDManager scope) {
        long missing = width - m.getShape().get(1);
        if (missing == 0) {
            return m;
        }
        return scope.zeros(new Shape(m.getShape().get(0), missing), m.getDataType()).concat(m, 1);
    }

    /**
     * Moves the cached keys and values into a fresh cache and closes the old one: the attention
     * layers derive arrays from the cached ones (transposes, repeats) that land in the cache's
     * manager, and a batch that runs for ever must not keep them. Moving arrays copies nothing.
     */
    private void compactCache() {
        KeyValueCache fresh = new KeyValueCache(manager, model.numLayers());
        for (int layer = 0; layer < model.numLayers(); layer++) {
            fresh.update(layer, cache.keys(layer), cache.values(layer));
        }
        cache.close();
        cache = fresh;
    }

    private void replaceMask(NDArray next) {
        NDArray old = mask;
        next.attach(manager);
        mask = next.toType(DataType.INT64, false);
        mask.attach(manager);
        if (old != null && old != mask && old != next) {
            old.close();
        }
        if (next != mask) {
            next.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The real tokens of the forward pass running on this thread, for adapters that act on chosen
 * positions (ReFT's {@code prefix_positions} and {@code suffix_positions} count the first and last
 * real tokens of each row, as the Adapters library and pyreft do, so padding on either side is
 * skipped). A model opens a window around its layers with its attention mask; adapters read it with
 * {@link #current()}. A thread-local, as the Adapters library's forward context is: concurrent
 * forwards on different threads each see their own.
 *
 * <pre>{@code
 * try (RealTokens.Scope window = RealTokens.open(attentionMask, hidden.getShape().get(1))) {
 *     for (Block layer : layers) { hidden = layer.forward(ps, new NDList(hidden, bias), training).head(); }
 * }
 * }</pre>
 *
 * <p>Only a prompt pass is intervened on: in a forward that extends a key/value cache, the new
 * positions are generated tokens and no position of them is counted (the cached ones were counted
 * when the prompt ran). A generator that recomputes the whole sequence at each step says how many of
 * its last tokens it generated with {@link #generated}, so that it intervenes where the cached loop
 * does.
 * A model that opens no window leaves every position of its hidden states counted.
 */
public final class RealTokens {

    private static final ThreadLocal<Window> CURRENT = new ThreadLocal<>();
    private static final ThreadLocal<Long> GENERATED = new ThreadLocal<>();

    private RealTokens() {}

    /** Ends a window (or a prompt limit) opened on this thread; the one it replaced comes back. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Opens the window of one forward pass until the returned scope closes.
     *
     * @param attentionMask {@code [batch, S]}, 1 for real tokens and 0 for padding, over the cached
     *     positions followed by the new ones, the mask the layers attend with
     * @param newPositions {@code T}, how many positions the layers compute in this pass (the last
     *     {@code T} columns of the mask; the earlier ones are cached)
     * @return the scope; close it in try-with-resources
     * @throws IllegalArgumentException when the mask is not 2-d or is narrower than {@code T}
     */
    public static Scope open(NDArray attentionMask, long newPositions) {
        if (attentionMask.getShape().dimension() != 2 || attentionMask.getShape().get(1) < newPositions) {
            throw new IllegalArgumentException("a real-token window needs a [batch, seq] attention mask covering the "
                    + newPositions + " new positions, got shape " + attentionMask.getShape());
        }
        long width = attentionMask.getShape().get(1);
        long end = width > newPositions ? width - newPositions : width; // a cached pass counts none of its new positions
        Long generated = GENERATED.get();
        if (generated != null) {
            end = Math.min(end, width - generated);
        }
        Window previous = CURRENT.get();
        CURRENT.set(new Window(attentionMask, newPositions, end));
        return () -> restore(CURRENT, previous);
    }

    /**
     * Says, for the forwards run until the scope closes, that the last {@code lastColumns} input
     * positions are generated tokens, not prompt: no position among them is counted.
     *
     * @param lastColumns how many tokens at the end of the sequence were generated
     * @return the scope; close it in try-with-resources
     */
    public static Scope generated(long lastColumns) {
        if (lastColumns < 0) {
            throw new IllegalArgumentException("generated tokens must not be negative, got " + lastColumns);
        }
        Long previous = GENERATED.get();
        GENERATED.set(lastColumns);
        return () -> restore(GENERATED, previous);
    }

    /**
     * The window of the forward running on this thread.
     *
     * @return the window, or empty when the model opened none (every position counts)
     */
    public static Optional<Window> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    private static <T> void restore(ThreadLocal<T> local, T previous) {
        if (previous == null) {
            local.remove();
        } else {
            local.set(previous);
        }
    }

    /**
     * The real tokens of one forward: which of the new positions are the first {@code p} and the last
     * {@code s} counted tokens of each row. Position masks are computed once per pass and shape and
     * kept in the manager of the attention mask, so every layer of the pass shares them.
     */
    public static final class Window {

        private final NDArray attentionMask;
        private final long newPositions;
        private final long countedEnd;
        private final Map<String, NDArray[]> chosen = new HashMap<>();

        private Window(NDArray attentionMask, long newPositions, long countedEnd) {
            this.attentionMask = attentionMask;
            this.newPositions = newPositions;
            this.countedEnd = countedEnd;
        }

        /**
         * The batch size of the pass.
         *
         * @return the rows of the attention mask
         */
        public long batch() {
            return attentionMask.getShape().get(0);
        }

        /**
         * How many positions the layers compute in this pass.
         *
         * @return {@code T}
         */
        public long newPositions() {
            return newPositions;
        }

        /**
         * Whether any new position can be counted; false in a pass that extends a cache.
         *
         * @return true when the new positions include counted real tokens (or may)
         */
        public boolean countsNewPositions() {
            return countedEnd > attentionMask.getShape().get(1) - newPositions;
        }

        /**
         * Float masks over the new positions of each row: {@code [0]} is 1 on the first
         * {@code prefix} counted real tokens, {@code [1]} on the last {@code suffix}; where both
         * would hold, only the suffix does (the Adapters library writes suffix states last). A row
         * with fewer real tokens gets all of them.
         *
         * @param prefix how many first real tokens
         * @param suffix how many last real tokens
         * @return two {@code [batch, T, 1]} float32 masks
         */
        public NDArray[] firstAndLast(int prefix, int suffix) {
            return chosen.computeIfAbsent(prefix + ":" + suffix, key -> compute(prefix, suffix));
        }

        private NDArray[] compute(int prefix, int suffix) {
            long width = attentionMask.getShape().get(1);
            NDArray counted = attentionMask.toType(DataType.FLOAT32, false).gt(0f).toType(DataType.FLOAT32, false);
            if (countedEnd < width) {
                NDArray columns = attentionMask.getManager().arange(0f, (float) width).reshape(1, width);
                counted = counted.mul(columns.lt((float) countedEnd).toType(DataType.FLOAT32, false));
            }
            NDArray rank = counted.cumSum(1); // 1 on a row's first real token, its count on the last
            NDArray total = counted.sum(new int[] {1}, true);
            NDArray last = counted.mul(rank.gt(total.sub((float) suffix)).toType(DataType.FLOAT32, false));
            NDArray first = counted.mul(rank.lte((float) prefix).toType(DataType.FLOAT32, false))
                    .mul(last.neg().add(1f));
            String fresh = ":, " + (width - newPositions) + ":";
            return new NDArray[] {first.get(fresh).expandDims(2), last.get(fresh).expandDims(2)};
        }
    }
}

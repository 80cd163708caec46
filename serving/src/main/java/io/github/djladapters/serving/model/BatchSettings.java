package io.github.djladapters.serving.model;

/**
 * How requests are gathered into batches.
 *
 * @param maxBatchSize the most rows in one forward
 * @param maxWaitMillis how long a batch waits for more requests after its first
 * @param perAdapter true to give each adapter batches of its own (one forward per adapter group, as
 *     methods that cannot mix rows need); false mixes adapters in one forward (unmerged mode)
 */
public record BatchSettings(int maxBatchSize, long maxWaitMillis, boolean perAdapter) {

    /** 32 rows, 5 ms, adapters mixed. */
    public static final BatchSettings DEFAULTS = new BatchSettings(32, 5);

    /**
     * Settings that mix adapters in one forward.
     *
     * @param maxBatchSize the most rows in one forward
     * @param maxWaitMillis how long a batch waits for more requests after its first
     */
    public BatchSettings(int maxBatchSize, long maxWaitMillis) {
        this(maxBatchSize, maxWaitMillis, false);
    }

    /** Checks the values. */
    public BatchSettings {
        if (maxBatchSize < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("max batch size must be >= 1 and max wait >= 0 ms, got " + maxBatchSize
                    + " and " + maxWaitMillis);
        }
    }
}

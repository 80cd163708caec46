package io.github.djladapters.serving.model;

/**
 * How requests are gathered into batches.
 *
 * @param maxBatchSize the most rows in one forward
 * @param maxWaitMillis how long a batch waits for more requests after its first
 */
public record BatchSettings(int maxBatchSize, long maxWaitMillis) {

    /** 32 rows, 5 ms. */
    public static final BatchSettings DEFAULTS = new BatchSettings(32, 5);

    /** Checks the values. */
    public BatchSettings {
        if (maxBatchSize < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("max batch size must be >= 1 and max wait >= 0 ms, got " + maxBatchSize
                    + " and " + maxWaitMillis);
        }
    }
}

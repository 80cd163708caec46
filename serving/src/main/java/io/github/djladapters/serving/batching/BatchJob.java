package io.github.djladapters.serving.batching;

/** One request's share of a batch: some rows, and the key of the batches it may join. */
public interface BatchJob {

    /**
     * The rows this job adds to a batch.
     *
     * @return at least 1
     */
    int rows();

    /**
     * Jobs batch together only with jobs of the same key; null joins any batch. Merged serving
     * keys jobs by adapter, since one batch runs one merged adapter.
     *
     * @return the key, or null
     */
    String batchKey();

    /**
     * Fails the job without running it.
     *
     * @param error why
     */
    void fail(Throwable error);
}

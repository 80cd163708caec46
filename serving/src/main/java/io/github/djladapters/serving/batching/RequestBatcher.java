package io.github.djladapters.serving.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Gathers concurrent requests into batches on one worker thread: a batch starts with the oldest
 * waiting job and takes later jobs (with the same {@link BatchJob#batchKey()}) until it holds
 * {@code maxBatchRows} rows or {@code maxWait} has passed since that oldest job arrived. A job
 * that already waited that long (while the previous batch ran) goes at once with whatever waits
 * beside it: the wait bounds each request's delay, it is not added to every batch.
 *
 * @param <J> the job type
 */
public final class RequestBatcher<J extends BatchJob> implements AutoCloseable {

    private final int maxBatchRows;
    private final long maxWaitNanos;
    private final Consumer<List<J>> runner;
    private final Deque<Waiting<J>> waiting = new ArrayDeque<>();
    private final Thread worker;
    private boolean closed;

    /** A queued job and when it arrived. */
    private record Waiting<J>(J job, long arrivedNanos) {}

    /**
     * Starts the worker thread.
     *
     * @param name the thread's name
     * @param maxBatchRows the most rows in one batch (a larger single job still runs alone)
     * @param maxWaitMillis how long a batch waits for more jobs
     * @param runner runs one batch and completes its jobs; it must not throw
     */
    public RequestBatcher(String name, int maxBatchRows, long maxWaitMillis, Consumer<List<J>> runner) {
        if (maxBatchRows < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("max batch size must be >= 1 and max wait >= 0, got " + maxBatchRows
                    + " and " + maxWaitMillis);
        }
        this.maxBatchRows = maxBatchRows;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        this.runner = runner;
        this.worker = new Thread(this::work, name);
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues a job.
     *
     * @param job the job
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized void submit(J job) {
        if (closed) {
            throw new IllegalStateException("the server is shutting down");
        }
        waiting.addLast(new Waiting<>(job, System.nanoTime()));
        notifyAll();
    }

    /**
     * Jobs waiting for a batch.
     *
     * @return the queue depth
     */
    public synchronized int queueDepth() {
        return waiting.size();
    }

    private void work() {
        while (true) {
            List<J> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (batch == null) {
                return;
            }
            runner.accept(batch);
        }
    }

    private synchronized List<J> nextBatch() throws InterruptedException {
        while (waiting.isEmpty() && !closed) {
            wait();
        }
        if (closed) {
            return null;
        }
        Waiting<J> oldest = waiting.pollFirst();
        J first = oldest.job();
        List<J> batch = new ArrayList<>(List.of(first));
        int rows = first.rows();
        long deadline = oldest.arrivedNanos() + maxWaitNanos;
        while (rows < maxBatchRows && !closed) {
            rows += take(batch, first.batchKey(), maxBatchRows - rows);
            long left = deadline - System.nanoTime();
            if (rows >= maxBatchRows || left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return batch;
    }

    /** Moves waiting jobs of the key that fit into the batch, in arrival order; returns their rows. */
    private int take(List<J> batch, String key, int room) {
        int taken = 0;
        for (Iterator<Waiting<J>> it = waiting.iterator(); it.hasNext() && taken < room; ) {
            J job = it.next().job();
            if ((key == null || Objects.equals(key, job.batchKey())) && job.rows() <= room - taken) {
                it.remove();
                batch.add(job);
                taken += job.rows();
            }
        }
        return taken;
    }

    /** Stops the worker; waiting jobs fail. */
    @Override
    public void close() {
        List<J> left;
        synchronized (this) {
            closed = true;
            left = waiting.stream().map(Waiting::job).toList();
            waiting.clear();
            notifyAll();
        }
        left.forEach(job -> job.fail(new IllegalStateException("the server is shutting down")));
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

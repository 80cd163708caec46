package io.github.djladapters.serving.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestBatcherTest {

    /** A one-row job with a name. */
    private record Job(String name, String batchKey) implements BatchJob {
        @Override
        public int rows() {
            return 1;
        }

        @Override
        public void fail(Throwable error) {
            throw new AssertionError("job " + name + " failed", error);
        }
    }

    /** A batch as the runner saw it, and when it started. */
    private record Ran(List<String> jobs, long startedNanos) {}

    /**
     * Jobs that arrive while a batch runs have waited long enough by the time it ends: the next batch
     * takes them at once, instead of waiting the full delay again.
     */
    @Test
    void jobsThatWaitedDuringTheLastBatchGoAtOnce() throws Exception {
        List<Ran> ran = new ArrayList<>();
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch two = new CountDownLatch(2);
        long waitMillis = 300;
        try (RequestBatcher<Job> batcher = new RequestBatcher<>("test-batcher", 8, waitMillis, batch -> {
            synchronized (ran) {
                ran.add(new Ran(batch.stream().map(Job::name).toList(), System.nanoTime()));
            }
            if (batch.get(0).name().equals("a")) {
                firstRunning.countDown();
                sleep(2 * waitMillis); // a long forward
            }
            two.countDown();
        })) {
            long t0 = System.nanoTime();
            batcher.submit(new Job("a", null));
            assertTrue(firstRunning.await(5, TimeUnit.SECONDS));
            batcher.submit(new Job("b", null));
            batcher.submit(new Job("c", null));
            assertTrue(two.await(5, TimeUnit.SECONDS));
            synchronized (ran) {
                assertEquals(List.of("a"), ran.get(0).jobs());
                assertEquals(List.of("b", "c"), ran.get(1).jobs());
                long firstStart = ran.get(0).startedNanos() - t0;
                long secondStart = ran.get(1).startedNanos() - t0;
                // a waits its full delay (nothing else comes); b and c waited 600 ms behind a and go right after it
                assertTrue(firstStart >= TimeUnit.MILLISECONDS.toNanos(waitMillis - 10), "a started after " + firstStart);
                long gap = secondStart - firstStart - TimeUnit.MILLISECONDS.toNanos(2 * waitMillis);
                assertTrue(gap < TimeUnit.MILLISECONDS.toNanos(waitMillis / 2),
                        "b and c waited " + gap / 1_000_000 + " ms more after the first batch ended");
            }
        }
    }

    /** Jobs of another key do not join; each batch waits at most the delay from its oldest job's arrival. */
    @Test
    void batchesKeepToTheirKeyAndTheirDelay() throws Exception {
        List<Ran> ran = new ArrayList<>();
        CountDownLatch two = new CountDownLatch(2);
        try (RequestBatcher<Job> batcher = new RequestBatcher<>("test-batcher", 8, 300, batch -> {
            synchronized (ran) {
                ran.add(new Ran(batch.stream().map(Job::name).toList(), System.nanoTime()));
            }
            two.countDown();
        })) {
            long t0 = System.nanoTime();
            batcher.submit(new Job("x1", "x"));
            batcher.submit(new Job("y1", "y"));
            batcher.submit(new Job("x2", "x"));
            assertTrue(two.await(5, TimeUnit.SECONDS));
            synchronized (ran) {
                assertEquals(List.of(List.of("x1", "x2"), List.of("y1")), ran.stream().map(Ran::jobs).toList());
                // y1 arrived with x1: its batch goes once x's ends (at 300 ms), not 300 ms after that
                assertTrue(ran.get(1).startedNanos() - t0 < TimeUnit.MILLISECONDS.toNanos(450),
                        "y1's batch started after " + (ran.get(1).startedNanos() - t0) / 1_000_000 + " ms");
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

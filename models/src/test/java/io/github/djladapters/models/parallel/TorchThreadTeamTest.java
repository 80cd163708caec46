package io.github.djladapters.models.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The team runs task i on thread i, each at one libtorch intra-op thread while the caller keeps its count,
 * returns results in order, propagates failures after every task has ended, and ends its threads on close.
 */
class TorchThreadTeamTest {

    @Test
    void tasksRunSingleThreadedOnTheirOwnThreadsAndTheCallerKeepsItsCount() throws Exception {
        int before = JniUtils.getNumThreads();
        List<Thread> threads = new ArrayList<>();
        try (TorchThreadTeam team = TorchThreadTeam.create(3); NDManager manager = NDManager.newBaseManager()) {
            assertEquals(before, JniUtils.getNumThreads(), "the caller's intra-op threads");
            assertEquals(before, team.callerThreads());
            NDArray x = manager.arange(12f).reshape(3, 4);
            CountDownLatch together = new CountDownLatch(3);
            List<Callable<float[]>> tasks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int row = i;
                tasks.add(() -> {
                    synchronized (threads) {
                        threads.add(Thread.currentThread());
                    }
                    together.countDown();
                    assertTrue(together.await(30, TimeUnit.SECONDS), "the tasks run at once");
                    try (NDArray sum = x.get(row).sum()) {
                        return new float[] {JniUtils.getNumThreads(), sum.getFloat()};
                    }
                });
            }
            List<float[]> results = team.run(tasks);
            for (int i = 0; i < 3; i++) {
                assertEquals(1f, results.get(i)[0], "intra-op threads in task " + i);
                assertEquals(4 * 4 * i + 6f, results.get(i)[1], "result " + i + " in task order");
            }
            assertEquals(3, threads.stream().distinct().count(), "one thread per task");
            assertEquals(before, JniUtils.getNumThreads(), "the caller's intra-op threads after the tasks");
            // a thread started after the team takes the process's default, not the team's 1
            int[] fresh = new int[1];
            Thread other = new Thread(() -> fresh[0] = JniUtils.getNumThreads());
            other.start();
            other.join();
            assertEquals(before, fresh[0], "a new thread's intra-op threads");
            // the same member runs the same task index next time
            List<Thread> second = team.run(List.of(Thread::currentThread, Thread::currentThread));
            assertTrue(threads.contains(second.get(0)) && threads.contains(second.get(1)));
            assertNotSame(second.get(0), second.get(1));
        }
        for (Thread thread : threads) {
            assertTrue(thread.isDaemon());
            assertFalse(thread.isAlive(), thread.getName() + " ended with the team");
        }
    }

    @Test
    void aFailureIsThrownAfterEveryTaskEnded() {
        try (TorchThreadTeam team = TorchThreadTeam.create(3)) {
            boolean[] slowEnded = new boolean[1];
            IllegalStateException first = new IllegalStateException("first");
            IllegalArgumentException third = new IllegalArgumentException("third");
            TorchThreadTeam.TeamTaskException e = assertThrows(TorchThreadTeam.TeamTaskException.class,
                    () -> team.run(List.<Callable<Object>>of(() -> {
                        throw first;
                    }, () -> {
                        Thread.sleep(300);
                        slowEnded[0] = true;
                        return null;
                    }, () -> {
                        throw third;
                    })));
            assertEquals(first, e.getCause());
            assertEquals(List.of(third), List.of(e.getSuppressed()));
            assertTrue(slowEnded[0], "the slow task ended before the failure was thrown");
            assertEquals(List.of(1, 2), team.run(List.of(() -> 1, () -> 2)), "the team still works");
        }
    }

    @Test
    void refusesBadUse() {
        assertThrows(IllegalArgumentException.class, () -> TorchThreadTeam.create(0));
        TorchThreadTeam team = TorchThreadTeam.create(1);
        assertThrows(IllegalArgumentException.class, () -> team.run(List.of(() -> 1, () -> 2)));
        team.close();
        team.close();
        assertThrows(IllegalStateException.class, () -> team.run(List.of(() -> 1)));
    }
}

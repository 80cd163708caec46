package io.github.djladapters.models.parallel;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A fixed team of daemon threads, each of which runs PyTorch ops with ONE intra-op thread, for running
 * independent pieces of work (such as the row groups of a batch) side by side instead of splitting every op
 * between libtorch's OpenMP threads: a libtorch op at two threads ends in a barrier where the faster thread
 * waits for the other, which costs much on the many small ops of a training step; two single-threaded
 * passes over half the rows each wait nowhere until they both end.
 *
 * <p>Member {@code i} runs task {@code i} of every {@link #run}; a task may leave thread-local state (such
 * as libtorch's grad mode) for the next task of the same member. libtorch's intra-op count is per thread
 * (OpenMP's and MKL's thread-local counts, set by {@code at::set_num_threads}, which also sets the process's
 * default that a new thread takes at its first parallel op): each member first takes the default, then sets
 * its own count to 1, and the thread that makes the team then puts the default back with its own count, so
 * that the rest of the process keeps its threads. Make a team on a thread that runs at the process's count
 * (the count is read there), not while other threads start their first PyTorch op.
 *
 * <pre>{@code
 * try (TorchThreadTeam team = TorchThreadTeam.create(2)) {
 *     List<Float> sums = team.run(List.of(() -> first.sum().getFloat(), () -> second.sum().getFloat()));
 * }
 * }</pre>
 *
 * <p>Needs DJL's PyTorch engine. Thread-safe: concurrent {@link #run} calls take turns.
 */
public final class TorchThreadTeam implements AutoCloseable {

    private final List<ExecutorService> members;
    private final int callerThreads;
    private boolean closed;

    private TorchThreadTeam(List<ExecutorService> members, int callerThreads) {
        this.members = members;
        this.callerThreads = callerThreads;
    }

    /**
     * Starts a team of {@code size} threads at one intra-op thread each.
     *
     * @param size the number of threads, at least 1
     * @return the team; close it to end its threads
     * @throws IllegalArgumentException when {@code size} is below 1
     * @throws IllegalStateException when the engine is not PyTorch
     */
    public static TorchThreadTeam create(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a thread team needs at least 1 thread, got " + size);
        }
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            throw new IllegalStateException("a thread team needs DJL's PyTorch engine, got "
                    + Engine.getInstance().getEngineName());
        }
        int callerThreads = JniUtils.getNumThreads();
        List<ExecutorService> members = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            String name = "torch-team-" + i;
            members.add(Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, name);
                thread.setDaemon(true);
                return thread;
            }));
        }
        TorchThreadTeam team = new TorchThreadTeam(members, callerThreads);
        try {
            List<Callable<Integer>> pin = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                pin.add(() -> {
                    JniUtils.getNumThreads(); // the thread's first query takes the process's default ...
                    JniUtils.setNumThreads(1); // ... which this then overrides for this thread (and the default)
                    return JniUtils.getNumThreads();
                });
            }
            List<Integer> counts = team.run(pin);
            for (int count : counts) {
                if (count != 1) {
                    throw new IllegalStateException("a team thread runs at " + count + " intra-op threads, expected 1");
                }
            }
        } catch (RuntimeException e) {
            team.close();
            throw e;
        } finally {
            JniUtils.setNumThreads(callerThreads); // the process's default, and this thread's own count, as before
        }
        return team;
    }

    /**
     * The number of threads.
     *
     * @return the team's size
     */
    public int size() {
        return members.size();
    }

    /**
     * The intra-op threads of the thread that made the team, which the team put back as the process's default.
     *
     * @return that count
     */
    public int callerThreads() {
        return callerThreads;
    }

    /**
     * Runs task {@code i} on member {@code i}, all at once, and waits for every one of them to end, also
     * when one fails.
     *
     * @param tasks at most {@link #size()} tasks
     * @param <T> their result
     * @return their results, in the order of {@code tasks}
     * @throws TeamTaskException the first failed task's exception (by task order) as its cause, the others
     *     suppressed; every task has ended when it is thrown
     * @throws IllegalArgumentException when there are more tasks than threads
     * @throws IllegalStateException when the team is closed
     */
    public synchronized <T> List<T> run(List<? extends Callable<T>> tasks) {
        if (closed) {
            throw new IllegalStateException("the thread team is closed");
        }
        if (tasks.size() > members.size()) {
            throw new IllegalArgumentException(tasks.size() + " tasks for a team of " + members.size() + " threads");
        }
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            futures.add(members.get(i).submit(tasks.get(i)));
        }
        List<T> results = new ArrayList<>(tasks.size());
        TeamTaskException failure = null;
        boolean interrupted = false;
        for (int i = 0; i < futures.size(); i++) {
            T result = null;
            while (true) {
                try {
                    result = futures.get(i).get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // every task must end before this returns: keep waiting
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (failure == null) {
                        failure = new TeamTaskException("task " + i + " of " + tasks.size() + " failed: " + cause, cause);
                    } else {
                        failure.addSuppressed(cause);
                    }
                    break;
                }
            }
            results.add(result);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    /** Ends the threads once their current tasks end; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ExecutorService member : members) {
            member.shutdown();
        }
        boolean interrupted = false;
        for (ExecutorService member : members) {
            try {
                member.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A task of {@link #run} failed; the cause is its exception. */
    public static final class TeamTaskException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TeamTaskException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

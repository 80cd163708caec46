package io.github.djladapters.runtime;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The lock of one {@link AdapterModel}: forwards (and per-row routing scopes) hold it shared, so any
 * number run at once; changes to the set of adapters or to base weights (add, delete, load, merge,
 * unmerge, unload, disable) hold it exclusively and wait until running forwards end, so a forward
 * never sees an adapter half-added, half-deleted or half-merged. Fair, so a change is not starved by
 * a stream of forwards. A change requested on a thread that is itself inside a routing scope would
 * wait for itself; it fails at once instead.
 */
final class ModelLock {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);

    /** A held lock, released by {@link #close()} on the thread that took it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes the lock shared, for a forward.
     *
     * @return the hold
     */
    Held shared() {
        lock.readLock().lock();
        return lock.readLock()::unlock;
    }

    /**
     * Takes the lock exclusively, for a change, after running forwards end.
     *
     * @param what the change, for the message
     * @return the hold
     * @throws IllegalStateException when this thread is inside a forward or a routing scope
     */
    Held exclusive(String what) {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException(what + " is not allowed inside a forward or a routeRows scope on the"
                    + " same thread: it would wait for that scope to close; close the scope first");
        }
        lock.writeLock().lock();
        return lock.writeLock()::unlock;
    }
}

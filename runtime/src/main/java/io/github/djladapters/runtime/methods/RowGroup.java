package io.github.djladapters.runtime.methods;

import java.util.Optional;

/**
 * Marks the forwards run on this thread as one group of a larger batch's rows until the scope closes,
 * as the row groups of a batch run side by side on several threads ({@code RowSplitForward},
 * {@code RowSplitStep} in the models module) are. A setup that cuts the whole batch by position
 * ({@code BatchSplit}) cannot run on a part of it and refuses to run inside. A thread-local.
 */
public final class RowGroup {

    private static final ThreadLocal<Rows> CURRENT = new ThreadLocal<>();

    private RowGroup() {}

    /**
     * The rows of the group that this thread runs.
     *
     * @param firstRow the group's first row in the batch
     * @param rows the group's rows
     * @param batchRows the whole batch's rows
     */
    public record Rows(int firstRow, int rows, int batchRows) {

        @Override
        public String toString() {
            return "rows " + firstRow + " to " + (firstRow + rows - 1) + " of a batch of " + batchRows;
        }
    }

    /** Ends the group on this thread, putting back what was in force before. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Marks this thread's forwards as running the given rows until the returned scope closes.
     *
     * @param firstRow the group's first row in the batch
     * @param rows the group's rows
     * @param batchRows the whole batch's rows
     * @return the scope; close it in a finally block or try-with-resources
     */
    public static Scope enter(int firstRow, int rows, int batchRows) {
        Rows previous = CURRENT.get();
        CURRENT.set(new Rows(firstRow, rows, batchRows));
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /**
     * The group this thread runs.
     *
     * @return the group's rows, or empty when this thread runs whole batches
     */
    public static Optional<Rows> current() {
        return Optional.ofNullable(CURRENT.get());
    }
}

package io.github.djladapters.models.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.runtime.methods.AdapterRouting;
import io.github.djladapters.runtime.methods.RowGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * An inference forward run as row groups side by side on a {@link TorchThreadTeam} (one intra-op thread
 * per group) instead of over the whole batch with libtorch's intra-op threads: the batch is cut along its
 * first axis ({@link RowGroups}), each group's forward runs with gradients off on its own thread, and each
 * output is the groups' outputs joined along the first axis again. On the CPU this avoids the barrier of
 * every parallel op; the results equal the whole batch's to rounding.
 *
 * <p>The forward must treat rows independently, as an encoder's or a classifier's forward over padded rows
 * does, and every output must have one row per input row on its first axis: each output of each group is
 * checked to have the group's rows before anything is joined, and an {@link IllegalArgumentException} names
 * the output, the rows expected and got (a top-level {@code Parallel} setup, which repeats the batch once per
 * branch, returns twice the rows and would otherwise be joined in a wrong order). A per-row adapter routing in
 * force on the calling thread ({@code AdapterModel.routeRows}) is not seen by the team's threads, so it is
 * refused; a {@code BatchSplit} setup cuts the whole batch by position, so each group's forward runs inside a
 * {@link RowGroup} and refuses it (an {@link IllegalStateException} as the team failure's cause).
 *
 * <pre>{@code
 * try (TorchThreadTeam team = TorchThreadTeam.create(2)) {
 *     NDList out = RowSplitForward.forward(team, manager, inputs,
 *             (scope, rows) -> model.forward(new ParameterStore(scope, false), rows, false));
 * }
 * }</pre>
 */
public final class RowSplitForward {

    private RowSplitForward() {}

    /** The forward of one group of rows; called once per group, on the group's thread, gradients off. */
    @FunctionalInterface
    public interface GroupForward {
        /**
         * The group's outputs.
         *
         * @param scope the group's manager (closed after the outputs are joined)
         * @param rows the group's rows of every batch array, in the batch's order
         * @return the outputs, each with the group's rows on its first axis
         */
        NDList forward(NDManager scope, NDList rows);
    }

    /**
     * Runs the forward as row groups and joins the outputs.
     *
     * @param team the threads, one per row group
     * @param manager owns the joined outputs
     * @param batch the batch's arrays, each with the rows on the first axis
     * @param forward the forward of one group
     * @return the outputs over the whole batch, in {@code manager}
     * @throws IllegalArgumentException when the batch is empty or its arrays disagree on the rows, or when the
     *     groups' outputs disagree in number or an output does not have one row per input row on its first axis
     *     (nothing is left in {@code manager} then)
     * @throws IllegalStateException when a per-row adapter routing is in force on this thread
     * @throws TorchThreadTeam.TeamTaskException when a group's forward fails (such as a {@code BatchSplit} setup,
     *     which row groups cannot run)
     */
    public static NDList forward(TorchThreadTeam team, NDManager manager, NDList batch, GroupForward forward) {
        if (AdapterRouting.current().isPresent()) {
            throw new IllegalStateException("a per-row adapter routing is in force on this thread; the team's threads"
                    + " would not see it: run the whole batch, or route each group's rows in its forward");
        }
        int batchRows = RowGroups.rows(batch);
        int[] bounds = RowGroups.bounds(batchRows, team.size());
        int groups = bounds.length - 1;
        List<NDManager> scopes = new ArrayList<>(groups);
        try {
            List<Callable<NDList>> tasks = new ArrayList<>(groups);
            for (int g = 0; g < groups; g++) {
                NDManager scope = manager.newSubManager();
                scopes.add(scope);
                NDList rows = RowGroups.slice(batch, bounds[g], bounds[g + 1], scope);
                int firstRow = bounds[g];
                int groupRows = bounds[g + 1] - bounds[g];
                tasks.add(() -> {
                    try (GradientsOff off = GradientsOff.onThisThread();
                            RowGroup.Scope group = RowGroup.enter(firstRow, groupRows, batchRows)) {
                        return forward.forward(scope, rows);
                    }
                });
            }
            List<NDList> outputs = team.run(tasks);
            checkRows(outputs, bounds);
            return join(outputs, manager);
        } finally {
            for (NDManager scope : scopes) {
                scope.close();
            }
        }
    }

    /** Every group returns as many outputs, each with one row per input row: else the join would mix rows up. */
    private static void checkRows(List<NDList> outputs, int[] bounds) {
        int count = outputs.get(0).size();
        for (int g = 0; g < outputs.size(); g++) {
            NDList output = outputs.get(g);
            if (output.size() != count) {
                throw new IllegalArgumentException("the groups' forwards returned " + count + " and "
                        + output.size() + " outputs; each must return the same outputs");
            }
            long expected = bounds[g + 1] - bounds[g];
            for (int i = 0; i < count; i++) {
                Shape shape = output.get(i).getShape();
                long got = shape.dimension() == 0 ? 0 : shape.get(0);
                if (got != expected) {
                    throw new IllegalArgumentException("output " + i + " of row group " + g + " (rows " + bounds[g]
                            + " to " + (bounds[g + 1] - 1) + ") has " + (shape.dimension() == 0 ? "no first axis"
                            : got + (got == 1 ? " row" : " rows") + " on its first axis") + " (shape " + shape + "), expected " + expected
                            + ", one per input row: the groups' outputs are joined along the first axis, which"
                            + " would put rows in a wrong order. Likely cause: a top-level Parallel setup, which"
                            + " repeats the batch once per branch (run the whole batch through"
                            + " AdapterModel.forwardBranches), or an output that is not per row (pooled or summed"
                            + " over the batch); run such a forward over the whole batch");
                }
            }
        }
    }

    private static NDList join(List<NDList> outputs, NDManager manager) {
        int count = outputs.get(0).size();
        NDList joined = new NDList(count);
        try {
            for (int i = 0; i < count; i++) {
                NDList parts = new NDList(outputs.size());
                for (NDList output : outputs) {
                    parts.add(output.get(i));
                }
                NDArray whole = parts.size() == 1 ? parts.head().duplicate() : NDArrays.concat(parts, 0);
                whole.attach(manager);
                joined.add(whole);
                whole.setName(outputs.get(0).get(i).getName());
            }
        } catch (RuntimeException e) {
            joined.close(); // nothing half-joined stays in the caller's manager
            throw e;
        }
        return joined;
    }
}

package io.github.djladapters.models.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.parallel.RowGroups;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.methods.RowGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The forward and backward pass of one training step, run as row groups side by side on a
 * {@link TorchThreadTeam} (one intra-op thread per group) instead of over the whole batch with libtorch's
 * intra-op threads: a batch of {@code B} rows is cut along its first axis into {@code team.size()} groups
 * of nearly equal size (at most {@code B}), each group's loss is computed and back-propagated on its own
 * thread, and the parameters' gradients receive the sum, as one pass over the whole batch would leave them.
 * The optimizer step ({@link FusedAdam#step()}) follows on the calling thread.
 *
 * <p>Same numbers as one pass: the loss must be the MEAN over the group's rows (of a per-row quantity:
 * cross-entropy per example, or any mean over equally-sized rows); each group's loss is weighted by its
 * share of the rows, so the sum is the batch's mean and the gradients are the batch's. Dropout masks drawn
 * by {@link DropoutMask} (every dropout of the BERT family, LoRA's included) are the rows of the masks a
 * one-group pass would draw, from the same seeds, whatever the split ({@link DropoutMask#forRows}); a
 * dropout drawn by libtorch directly, or any other random op in the forward, would differ. The results
 * match the one-group pass's to rounding: products over fewer rows sum in another order. The loss is a
 * scalar, so the row check of {@link io.github.djladapters.models.parallel.RowSplitForward} has nothing to
 * check here; each group's pass runs inside a {@link RowGroup}, so a {@code BatchSplit} setup (which cuts the
 * whole batch by position) is refused as it is there.
 *
 * <p>Order: libtorch adds each group's gradient into a parameter's under a lock per parameter, in the
 * order the groups get there. With two groups the sum is the same either way (float addition commutes);
 * with more, the last bits of a gradient can differ from run to run.
 *
 * <p>Failure: the losses are all computed before any backward pass starts, so when a group's forward or
 * loss throws, no gradient has changed. When a backward pass throws (such as out of memory), the other
 * groups' gradients may already be added: the step then sets the trainable parameters' gradients to zero
 * before it throws, so the next step starts from a clean state (gradients accumulated by earlier calls
 * are lost).
 *
 * <pre>{@code
 * try (TorchThreadTeam team = TorchThreadTeam.create(2);
 *         FusedAdam adam = FusedAdam.adamW(trainable, manager, 1e-5f)) {
 *     RowSplitStep split = new RowSplitStep(team, trainable);
 *     for (...) {
 *         try (NDManager step = manager.newSubManager()) {
 *             float loss = split.step(step, new NDList(ids, mask, types, labels), (scope, rows) ->
 *                     crossEntropy(model.forward(new ParameterStore(scope, false), rows.subNDList(0, 3), true).head(),
 *                             rows.get(3))); // a mean over the group's rows
 *             adam.step();
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Needs DJL's PyTorch engine. Not thread-safe (one step at a time per team).
 */
public final class RowSplitStep {

    private static final NDIndex ALL = new NDIndex(":");

    private final TorchThreadTeam team;
    private final List<Parameter> trainable;

    /**
     * A split step over the given team.
     *
     * @param team the threads, one per row group
     * @param trainable the parameters whose gradients the steps fill (set to zero when a backward pass fails)
     */
    public RowSplitStep(TorchThreadTeam team, List<Parameter> trainable) {
        this.team = team;
        this.trainable = List.copyOf(trainable);
    }

    /**
     * Computes the loss of a group of rows; called once per group per step, on the group's thread.
     */
    @FunctionalInterface
    public interface GroupLoss {
        /**
         * The group's loss, a scalar: the mean over its rows.
         *
         * @param scope the manager for the pass's arrays (freed after the backward pass)
         * @param rows the group's rows of every batch array, in the batch's order
         * @return the mean loss over the rows, with the graph to the trainable parameters recorded
         */
        NDArray loss(NDManager scope, NDList rows);
    }

    /**
     * Runs the forward and backward passes of one step, leaving the gradients of the batch's mean loss
     * added to the trainable parameters' gradients.
     *
     * @param manager the step's manager: the group passes' arrays live in sub-managers of it, freed before this
     *     returns
     * @param batch the batch's arrays, each with the rows on the first axis (inputs and labels alike)
     * @param loss the loss of one group of rows
     * @return the batch's loss (the groups' losses weighted by their shares of the rows)
     * @throws IllegalArgumentException when the batch is empty or its arrays disagree on the rows
     * @throws TorchThreadTeam.TeamTaskException when a group's pass fails (see the class comment for the state left)
     */
    public float step(NDManager manager, NDList batch, GroupLoss loss) {
        int batchRows = RowGroups.rows(batch);
        int[] bounds = RowGroups.bounds(batchRows, team.size());
        int groups = bounds.length - 1;
        DropoutMask.Seeds seeds = new DropoutMask.Seeds();
        List<NDManager> scopes = new ArrayList<>(groups);
        try {
            List<NDList> rows = new ArrayList<>(groups);
            for (int g = 0; g < groups; g++) {
                NDManager scope = manager.newSubManager();
                scopes.add(scope);
                rows.add(RowGroups.slice(batch, bounds[g], bounds[g + 1], scope));
            }
            List<Callable<NDArray>> forwards = new ArrayList<>(groups);
            for (int g = 0; g < groups; g++) {
                int group = g;
                forwards.add(() -> groupLoss(loss, scopes.get(group), rows.get(group), seeds, bounds[group],
                        bounds[group + 1] - bounds[group], batchRows));
            }
            List<NDArray> weighted = team.run(forwards);
            List<Callable<Void>> backwards = new ArrayList<>(groups);
            for (NDArray groupLoss : weighted) {
                backwards.add(() -> {
                    JniUtils.backward((PtNDArray) groupLoss, (PtNDArray) groupLoss.onesLike(), false, false);
                    return null;
                });
            }
            try {
                team.run(backwards);
            } catch (RuntimeException e) {
                zeroGradients(manager);
                throw e;
            }
            float sum = 0;
            for (NDArray groupLoss : weighted) {
                sum += groupLoss.getFloat();
            }
            return sum;
        } finally {
            for (NDManager scope : scopes) {
                scope.close();
            }
        }
    }

    /** One group's forward and loss on its thread, with grad mode on and its dropout rows, weighted by its share. */
    private static NDArray groupLoss(GroupLoss loss, NDManager scope, NDList rows, DropoutMask.Seeds seeds,
            int firstRow, int groupRows, int batchRows) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (DropoutMask.Window window = DropoutMask.forRows(seeds, firstRow, groupRows, batchRows);
                RowGroup.Scope group = RowGroup.enter(firstRow, groupRows, batchRows)) {
            NDArray mean = loss.loss(scope, rows);
            if (mean.getShape().size() != 1) {
                throw new IllegalStateException("a group's loss must be a scalar (the mean over its rows), got shape "
                        + mean.getShape());
            }
            return Scalars.mul(mean, groupRows / (double) batchRows, scope);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private void zeroGradients(NDManager manager) {
        for (Parameter parameter : trainable) {
            NDArray array = parameter.getArray();
            if (array.hasGradient()) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray gradient = array.getGradient(); // a new handle, made in the parameter's manager ...
                    gradient.attach(scope); // ... as is the value that set() makes: both go with the scope
                    gradient.set(ALL, 0); // zero_(), whatever it held (NaN included)
                }
            }
        }
    }
}

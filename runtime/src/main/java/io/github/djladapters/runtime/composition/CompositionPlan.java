package io.github.djladapters.runtime.composition;

import io.github.djladapters.runtime.methods.AdapterActivation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A checked setup, ready to activate: the choice every adapter layer reads, and for
 * {@link Parallel} and {@link BatchSplit} the adapter of each branch and how many rows it gets.
 *
 * @param setup the setup it was made from
 * @param choice what the adapter layers apply
 * @param branches the adapter of each branch of a top-level Parallel or BatchSplit; empty otherwise
 * @param batchSizes the rows of each BatchSplit branch; empty for Parallel (every branch gets the whole batch)
 */
public record CompositionPlan(Composition setup, AdapterActivation.Choice choice, List<String> branches,
        List<Integer> batchSizes) {

    /** Copies the lists. */
    public CompositionPlan {
        branches = List.copyOf(branches);
        batchSizes = List.copyOf(batchSizes);
    }

    /**
     * Whether the setup gives branches their own rows.
     *
     * @return true for a top-level Parallel or BatchSplit
     */
    public boolean routed() {
        return !branches.isEmpty();
    }

    /**
     * Whether the batch is replicated once per branch.
     *
     * @return true for a top-level Parallel
     */
    public boolean replicates() {
        return routed() && batchSizes.isEmpty();
    }

    /**
     * The adapter of each row of the batch the model runs.
     *
     * @param batch the rows of the caller's batch
     * @return one adapter name per row: for Parallel {@code branches * batch} rows, branch by branch;
     *     for BatchSplit {@code batch} rows
     * @throws IllegalArgumentException when a BatchSplit's sizes do not add up to the batch
     */
    public List<String> rowAdapters(long batch) {
        List<String> rows = new ArrayList<>();
        if (replicates()) {
            for (String branch : branches) {
                rows.addAll(Collections.nCopies((int) batch, branch));
            }
            return rows;
        }
        int total = batchSizes.stream().mapToInt(Integer::intValue).sum();
        if (total != batch) {
            throw new IllegalArgumentException(setup + " needs a batch of " + total + " rows (the sum of its batch"
                    + " sizes), got " + batch);
        }
        for (int i = 0; i < branches.size(); i++) {
            rows.addAll(Collections.nCopies(batchSizes.get(i), branches.get(i)));
        }
        return rows;
    }
}

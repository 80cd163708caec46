package io.github.djladapters.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.composition.Composition;
import io.github.djladapters.runtime.composition.CompositionPlan;
import io.github.djladapters.runtime.composition.CompositionPlanner;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterRouting;
import io.github.djladapters.runtime.methods.RowArrayCache;
import io.github.djladapters.runtime.methods.RowGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-row adapter routing for {@link AdapterModel}'s forwards: the row masks and indices of a list
 * of per-row adapter names, put in force on this thread, and the plan of an active setup that routes
 * rows by itself (Parallel, BatchSplit).
 */
final class RowRouting {

    private RowRouting() {}

    /**
     * The plan of this thread's active setup when it routes rows and is not overridden by a routing
     * already in force or by disabled adapters.
     *
     * @param inventory the model's adapters
     * @return the plan, or null when the forward runs as it is
     * @throws IllegalStateException when the setup is a BatchSplit and this thread runs one row group of a
     *     larger batch ({@link RowGroup})
     */
    static CompositionPlan routedPlan(AdapterInventory inventory) {
        AdapterActivation.Choice choice = inventory.activation().choice();
        if (!choice.needsRouting() || AdapterRouting.current().isPresent() || inventory.activation().disabled()
                || !(choice.setup() instanceof Composition setup)) {
            return null;
        }
        CompositionPlan plan = CompositionPlanner.plan(setup, inventory::require);
        RowGroup.Rows group = RowGroup.current().orElse(null);
        if (group != null && !plan.replicates()) {
            throw new IllegalStateException("row groups cannot run a BatchSplit: the active setup " + setup
                    + " cuts the whole batch by position, but this forward runs " + group + " as one row group"
                    + " (RowSplitForward, RowSplitStep); run the whole batch in one forward");
        }
        return plan;
    }

    /**
     * Puts a per-row routing in force on this thread; see {@link AdapterModel#routeRows}.
     *
     * @param rowAdapters one adapter name per row; {@code ""} or {@code baseModel} for the base model
     * @param baseModel the name that stands for the base model
     * @param manager owns the row masks until the scope closes
     * @param inventory the model's adapters
     * @param held the model's shared lock, released when the scope closes (not on failure: the caller does)
     * @return the scope
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when an adapter is merged, or this thread is already routed
     */
    static AdapterModel.RowAdapters open(List<String> rowAdapters, String baseModel, NDManager manager,
            AdapterInventory inventory, ModelLock.Held held) {
        PreparedRows rows = prepare(rowAdapters, baseModel, manager, inventory, 0);
        try {
            return open(rows, inventory, held, true);
        } catch (RuntimeException e) {
            rows.close();
            throw e;
        }
    }

    /**
     * Builds the row masks and indices of a per-row routing, to put in force for one or many forwards.
     *
     * @param rowAdapters one adapter name per row; {@code ""} or {@code baseModel} for the base model
     * @param baseModel the name that stands for the base model
     * @param manager owns the row masks (and kept arrays) until the rows are closed
     * @param inventory the model's adapters
     * @param keptBytes what layers may keep across forwards under these rows; 0 for a routing of one forward
     * @return the rows
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when an adapter is merged
     */
    static PreparedRows prepare(List<String> rowAdapters, String baseModel, NDManager manager, AdapterInventory inventory,
            long keptBytes) {
        requireNothingMerged(inventory);
        Map<String, float[]> masks = new LinkedHashMap<>();
        Map<String, List<Integer>> rows = new LinkedHashMap<>();
        for (int row = 0; row < rowAdapters.size(); row++) {
            String name = rowAdapters.get(row);
            if (name == null || name.isEmpty() || baseModel.equals(name)) {
                continue;
            }
            inventory.require(name);
            masks.computeIfAbsent(name, n -> new float[rowAdapters.size()])[row] = 1f;
            rows.computeIfAbsent(name, n -> new ArrayList<>()).add(row);
        }
        NDManager scope = manager.newSubManager();
        Map<String, NDArray> rowMasks = new LinkedHashMap<>();
        // PyTorch-owned copies: autograd keeps views of the masks, which may outlive this scope
        masks.forEach((name, mask) -> rowMasks.put(name, ArrayValues.owned(scope.create(mask))));
        Map<String, int[]> rowIndices = new LinkedHashMap<>();
        rows.forEach((name, used) -> rowIndices.put(name, used.stream().mapToInt(Integer::intValue).toArray()));
        RowArrayCache kept = keptBytes > 0 ? new RowArrayCache(scope, keptBytes) : null;
        AdapterRouting.Routing routing = new AdapterRouting.Routing(rowAdapters.size(), Map.copyOf(rowMasks),
                Map.copyOf(rowIndices), kept);
        return new PreparedRows(inventory, rowAdapters, rows.keySet(), scope, routing);
    }

    /**
     * Puts prepared rows in force on this thread, once their adapters are checked to be still there.
     *
     * @param rows the rows
     * @param inventory the model's adapters
     * @param held the model's shared lock, released when the scope closes (not on failure: the caller does)
     * @param closeRows whether closing the scope also closes the rows (a routing of one forward)
     * @return the scope
     * @throws IllegalArgumentException when the rows were prepared for another model, or name an adapter
     *     deleted since
     * @throws IllegalStateException when an adapter is merged, or this thread is already routed
     */
    static AdapterModel.RowAdapters open(PreparedRows rows, AdapterInventory inventory, ModelLock.Held held,
            boolean closeRows) {
        if (rows.model() != inventory) {
            throw new IllegalArgumentException("these rows were prepared by another AdapterModel");
        }
        requireNothingMerged(inventory);
        for (String name : rows.adapters()) {
            inventory.require(name);
        }
        AdapterRouting.Scope routed = AdapterRouting.route(rows.routing());
        return () -> {
            try {
                routed.close();
                if (closeRows) {
                    rows.close();
                }
            } finally {
                held.close();
            }
        };
    }

    private static void requireNothingMerged(AdapterInventory inventory) {
        if (!inventory.mergeOrder().isEmpty()) {
            throw new IllegalStateException("adapters " + inventory.mergeOrder() + " are merged into the base"
                    + " weights and would apply to every row; unmerge them (unmergeAdapter) before a per-row forward");
        }
    }
}

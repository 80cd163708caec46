package io.github.djladapters.models.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * How a batch is cut into row groups for a {@link TorchThreadTeam}: along the first axis of every batch
 * array, into groups as equal as possible, the larger first.
 */
public final class RowGroups {

    private RowGroups() {}

    /**
     * The row groups of a batch of {@code batchRows} rows for {@code groups} threads.
     *
     * @param batchRows the rows of the batch, at least 1
     * @param groups the threads
     * @return the groups' first rows, with {@code batchRows} appended (one more than the groups; at most
     *     {@code batchRows} groups)
     */
    public static int[] bounds(int batchRows, int groups) {
        int count = Math.min(batchRows, groups);
        int[] bounds = new int[count + 1];
        for (int g = 0; g < count; g++) {
            bounds[g + 1] = bounds[g] + batchRows / count + (g < batchRows % count ? 1 : 0);
        }
        return bounds;
    }

    /**
     * The rows of a batch, checked: every array has them on its first axis.
     *
     * @param batch the batch's arrays (inputs and labels alike)
     * @return the rows, at least 1
     * @throws IllegalArgumentException when the batch is empty, has no rows, or its arrays disagree on the rows
     */
    public static int rows(NDList batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("a row split needs at least one batch array");
        }
        long rows = batch.head().getShape().dimension() == 0 ? 0 : batch.head().getShape().get(0);
        for (int i = 0; i < batch.size(); i++) {
            NDArray array = batch.get(i);
            if (array.getShape().dimension() == 0 || array.getShape().get(0) != rows) {
                throw new IllegalArgumentException("batch array " + i + " has shape " + array.getShape()
                        + ": every batch array needs the batch's " + rows + " rows on its first axis");
            }
        }
        if (rows < 1) {
            throw new IllegalArgumentException("a row split needs at least one row, got " + batch.head().getShape());
        }
        return Math.toIntExact(rows);
    }

    /**
     * Rows {@code [from, to)} of every batch array, as views owned by {@code scope}, keeping the arrays' names.
     *
     * @param batch the batch
     * @param from the first row
     * @param to one past the last row
     * @param scope the group's manager
     * @return the group's arrays, in the batch's order
     */
    public static NDList slice(NDList batch, int from, int to, NDManager scope) {
        NDList rows = new NDList(batch.size());
        NDIndex index = new NDIndex(from + ":" + to);
        for (NDArray array : batch) {
            NDArray part = array.get(index);
            part.attach(scope);
            part.setName(array.getName());
            rows.add(part);
        }
        return rows;
    }
}

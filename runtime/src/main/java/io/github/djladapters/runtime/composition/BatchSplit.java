package io.github.djladapters.runtime.composition;

import java.util.Collections;
import java.util.List;

/**
 * The batch cut into consecutive parts, one per child: the first {@code batchSizes[0]} rows run the
 * first child, the next {@code batchSizes[1]} the second, and so on. The batch must have exactly
 * their sum of rows.
 *
 * @param children the adapters or nested blocks, in order
 * @param batchSizes the rows of each child, one per child, each at least 1
 */
public record BatchSplit(List<Composition> children, List<Integer> batchSizes) implements Composition {

    /** Checks one positive size per child. */
    public BatchSplit {
        children = List.copyOf(children);
        batchSizes = List.copyOf(batchSizes);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("BatchSplit needs at least one adapter");
        }
        if (batchSizes.size() != children.size()) {
            throw new IllegalArgumentException("BatchSplit got " + batchSizes.size() + " batch sizes for "
                    + children.size() + " children " + children);
        }
        for (int size : batchSizes) {
            if (size < 1) {
                throw new IllegalArgumentException("BatchSplit batch sizes must be at least 1, got " + batchSizes);
            }
        }
    }

    /**
     * A split of the batch between adapters.
     *
     * @param batchSizes the rows of each adapter
     * @param adapters adapter names
     * @return the block
     */
    public static BatchSplit of(List<Integer> batchSizes, String... adapters) {
        return new BatchSplit(Composition.leaves(adapters), batchSizes);
    }

    /**
     * A split of the batch into equal parts, as the library's single {@code batch_sizes} value.
     *
     * @param batchSize the rows of every adapter
     * @param adapters adapter names
     * @return the block
     */
    public static BatchSplit of(int batchSize, String... adapters) {
        return new BatchSplit(Composition.leaves(adapters), Collections.nCopies(adapters.length, batchSize));
    }

    /**
     * The rows the batch must have.
     *
     * @return the sum of the batch sizes
     */
    public int totalRows() {
        return batchSizes.stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public String blockName() {
        return "BatchSplit";
    }

    @Override
    public String toString() {
        return Composition.describe(blockName(), children) + " batch_sizes=" + batchSizes;
    }
}

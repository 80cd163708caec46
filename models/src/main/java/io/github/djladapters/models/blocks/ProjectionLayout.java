package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.djladapters.runtime.architecture.LinearWeights;
import io.github.djladapters.runtime.engine.TransposedStorage;

/**
 * Decides how a decoder's projection weights lie in memory: every DJL {@link Linear} weight
 * {@code [out, in]} of a block tree (and of any other {@link LinearWeights} block that stores
 * {@code [out, in]}), and optionally a token table that a tied LM head multiplies
 * with, is kept as its row-major transpose ({@link TransposedStorage}), which libtorch 2.7.1
 * multiplies faster at decode shapes. Values, names, loading, saving, adapters and gradients see the
 * usual {@code [out, in]} array.
 *
 * <pre>{@code
 * ProjectionLayout.storeTransposed(model, decoder.tokenTable().weight());
 * }</pre>
 */
public final class ProjectionLayout {

    private ProjectionLayout() {}

    /**
     * Stores the weight of every initialised {@link Linear} under {@code root} (and {@code table},
     * when given) transposed.
     *
     * @param root the block tree
     * @param table an embedding table that also serves as an LM head, or {@code null}
     * @return the number of weights now stored transposed
     */
    public static int storeTransposed(Block root, Parameter table) {
        int stored = visit(root);
        if (table != null && table.isInitialized()) {
            TransposedStorage.store(table.getArray());
            stored++;
        }
        return stored;
    }

    private static int visit(Block block) {
        int stored = 0;
        Parameter weight = null;
        if (block instanceof Linear) {
            weight = block.getParameters().get("weight");
        } else if (block instanceof LinearWeights projection && !projection.fanInFanOut()) {
            weight = projection.weight(); // another [out, in] projection block ([in, out] ones are fast already)
        }
        if (weight != null && weight.isInitialized()) {
            NDArray array = weight.getArray();
            TransposedStorage.store(array);
            stored++;
        }
        for (Block child : block.getChildren().values()) {
            stored += visit(child);
        }
        return stored;
    }
}

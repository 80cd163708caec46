package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.blocks.RmsNorm;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.List;

/**
 * What the T5 encoder and decoder stacks share ({@code T5Stack}): blocks {@code block.N} and
 * {@code final_layer_norm}. The token embedding {@code shared} belongs to the model that holds the
 * stacks, so it is registered once and has one name. The relative position bias is computed once per
 * forward pass by block 0's self-attention and added to every block's attention scores.
 *
 * @param <B> the block type
 */
public abstract class T5Stack<B extends T5Block> extends AbstractBlock {

    List<B> block;
    Block final_layer_norm;

    /** The architecture. */
    final T5Config config;

    /**
     * Registers the blocks and the final norm.
     *
     * @param config the architecture
     * @param blocks the blocks, block 0 holding the relative position bias
     */
    T5Stack(T5Config config, List<B> blocks) {
        this.config = config;
        block = addChildBlock("block", new ModuleList<>(blocks)).asList();
        for (B b : block) {
            b.selfAttention().sharePositionBias(block.get(0).selfAttention());
        }
        final_layer_norm = addChildBlock("final_layer_norm", new RmsNorm(config.dModel(), config.layerNormEpsilon()));
    }

    /**
     * The relative position bias of this stack, from block 0.
     *
     * @param ps the parameter store
     * @param manager where the bias is created
     * @param queryLength the number of queries
     * @param keyLength the number of keys
     * @param offset the position of the first query
     * @param training whether this is a training pass
     * @return {@code [1, heads, queryLength, keyLength]}
     */
    NDArray positionBias(ParameterStore ps, NDManager manager, long queryLength, long keyLength, long offset,
            boolean training) {
        return block.get(0).selfAttention().positionBias(ps, manager, Math.toIntExact(queryLength),
                Math.toIntExact(keyLength), Math.toIntExact(offset), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, config.dModel());
        for (B b : block) {
            b.initialize(manager, dataType, hidden);
        }
        final_layer_norm.initialize(manager, dataType, hidden);
    }
}

package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered list of blocks registered as children named {@code 0}, {@code 1}, ..., like PyTorch's
 * {@code nn.ModuleList}, so that module paths read {@code encoder.layer.3.attention...} as in
 * Hugging Face checkpoints. Hold it in a field for DJL and expose {@link #asList()} to the
 * {@code @Layers} field:
 *
 * <pre>{@code
 * @Layers List<MyLayer> layers;
 * MyModel(List<MyLayer> blocks) {
 *     layers = addChildBlock("layers", new ModuleList<>(blocks)).asList();
 * }
 * }</pre>
 *
 * <p>Its forward runs the blocks one after another; models whose layers take extra inputs (masks,
 * caches) call the layers themselves.
 *
 * @param <T> the block type
 */
public final class ModuleList<T extends Block> extends AbstractBlock {

    private final List<T> blocks;

    /**
     * Registers the blocks as children {@code 0..n-1}.
     *
     * @param blocks the blocks, in order
     */
    public ModuleList(List<? extends T> blocks) {
        List<T> copy = new ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            copy.add(addChildBlock(Integer.toString(i), blocks.get(i)));
        }
        this.blocks = Collections.unmodifiableList(copy);
    }

    /**
     * The blocks, unmodifiable and in order.
     *
     * @return the blocks
     */
    public List<T> asList() {
        return blocks;
    }

    /**
     * The number of blocks.
     *
     * @return the size
     */
    public int size() {
        return blocks.size();
    }

    /**
     * One block.
     *
     * @param index its position, from 0
     * @return the block
     */
    public T get(int index) {
        return blocks.get(index);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList current = inputs;
        for (T block : blocks) {
            current = block.forward(parameterStore, current, training, params);
        }
        return current;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] current = inputShapes;
        for (T block : blocks) {
            current = block.getOutputShapes(current);
        }
        return current;
    }

    @Override
    protected void initializeChildBlocks(
            ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] current = inputShapes;
        for (T block : blocks) {
            block.initialize(manager, dataType, current);
            current = block.getOutputShapes(current);
        }
    }
}

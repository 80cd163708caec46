package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A pre-norm decoder layer: {@code h + attention(norm1(h))}, then {@code h + mlp(norm2(h))}. The
 * subclass declares its four sub-blocks as annotated fields under its checkpoint names and returns
 * them from the accessors; this class runs them. Inputs are {@link DecoderLayerInputs}; the attention
 * gets them with the normalised hidden states. Outputs: hidden states, then the attention's keys and
 * values of all positions.
 */
public abstract class PreNormDecoderLayer extends AbstractBlock {

    private final int hiddenSize;

    /**
     * A layer over hidden states of the given width.
     *
     * @param hiddenSize the hidden width {@code H}
     */
    protected PreNormDecoderLayer(int hiddenSize) {
        this.hiddenSize = hiddenSize;
    }

    /**
     * The norm before attention.
     *
     * @return the block as registered (possibly wrapped by an adapter)
     */
    protected abstract Block attentionNorm();

    /**
     * The self-attention, returning {@code (output, keys, values)}.
     *
     * @return the block
     */
    protected abstract Block attention();

    /**
     * The norm before the feed-forward block.
     *
     * @return the block
     */
    protected abstract Block feedForwardNorm();

    /**
     * The feed-forward block.
     *
     * @return the block
     */
    protected abstract Block feedForward();

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList attnInputs = new NDList(attentionNorm().forward(ps, new NDList(x), training, params).head());
        attnInputs.addAll(inputs.subNDList(1));
        NDList attended = attention().forward(ps, attnInputs, training, params);
        NDArray afterAttention = x.add(attended.get(0));
        NDArray normed = feedForwardNorm().forward(ps, new NDList(afterAttention), training, params).head();
        NDArray out = afterAttention.add(feedForward().forward(ps, new NDList(normed), training, params).head());
        return new NDList(out, attended.get(1), attended.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return attention().getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, 1, hiddenSize);
        attentionNorm().initialize(manager, dataType, in);
        attention().initialize(manager, dataType, in);
        feedForwardNorm().initialize(manager, dataType, in);
        feedForward().initialize(manager, dataType, in);
    }
}

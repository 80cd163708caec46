package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.PartsBlock;

/**
 * A pre-norm decoder layer: {@code h + attention(norm1(h))}, then {@code h + mlp(norm2(h))}. The
 * subclass registers its four sub-blocks with {@link #addPart} under its checkpoint names and keeps
 * them in role-annotated fields; this class runs them. Inputs are {@link DecoderLayerInputs}; the
 * attention gets them with the normalised hidden states. Outputs: hidden states, then the attention's
 * keys and values of all positions.
 */
public abstract class PreNormDecoderLayer extends PartsBlock<PreNormDecoderLayer.Part> {

    /** The sub-blocks of a layer. */
    public enum Part {
        /** The norm before attention. */
        ATTENTION_NORM,
        /** The self-attention, returning {@code (output, keys, values)}. */
        ATTENTION,
        /** The norm before the feed-forward block. */
        FEED_FORWARD_NORM,
        /** The feed-forward block. */
        FEED_FORWARD
    }

    private final int hiddenSize;

    /**
     * A layer over hidden states of the given width.
     *
     * @param hiddenSize the hidden width {@code H}
     */
    protected PreNormDecoderLayer(int hiddenSize) {
        super(Part.class);
        this.hiddenSize = hiddenSize;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList attnInputs = new NDList(run(Part.ATTENTION_NORM, x, ps, training, params));
        attnInputs.addAll(inputs.subNDList(1));
        NDList attended = part(Part.ATTENTION).forward(ps, attnInputs, training, params);
        NDArray afterAttention = x.add(attended.get(0));
        NDArray normed = run(Part.FEED_FORWARD_NORM, afterAttention, ps, training, params);
        NDArray out = afterAttention.add(run(Part.FEED_FORWARD, normed, ps, training, params));
        return new NDList(out, attended.get(1), attended.get(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return part(Part.ATTENTION).getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Part part : Part.values()) {
            part(part).initialize(manager, dataType, new Shape(1, 1, hiddenSize));
        }
    }

    private NDArray run(Part part, NDArray hidden, ParameterStore ps, boolean training,
            PairList<String, Object> params) {
        return part(part).forward(ps, new NDList(hidden), training, params).head();
    }
}

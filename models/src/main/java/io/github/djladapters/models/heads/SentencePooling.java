package io.github.djladapters.models.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Feature extraction: turns token states into one vector per text, as sentence-transformers'
 * {@code Pooling} (and optional {@code Normalize}) modules do; it has no parameters. Inputs:
 * {@code last_hidden_state [B, T, H]} and {@code attention_mask [B, T]}; output {@code [B, H]}.
 *
 * <pre>{@code
 * NDArray hidden = model.forward(ps, inputs, false).head();
 * NDArray embeddings = new SentencePooling(SentencePooling.Mode.MEAN, true)
 *         .forward(ps, new NDList(hidden, inputs.get(1)), false).head();
 * }</pre>
 */
public final class SentencePooling extends AbstractBlock {

    /** How token states are combined. */
    public enum Mode {
        /** The average of the non-padding tokens. */
        MEAN,
        /** The first token ([CLS] / {@code <s>}). */
        CLS
    }

    private final Mode mode;
    private final boolean normalize;

    /**
     * A pooling step.
     *
     * @param mode mean or CLS pooling
     * @param normalize whether to scale each vector to unit L2 norm
     */
    public SentencePooling(Mode mode, boolean normalize) {
        this.mode = mode;
        this.normalize = normalize;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = inputs.get(0);
        NDArray pooled;
        if (mode == Mode.CLS) {
            pooled = hidden.get(new NDIndex(":, 0, :"));
        } else {
            NDArray mask = inputs.get(1).toType(DataType.FLOAT32, false);
            long extra = hidden.getShape().get(1) - mask.getShape().get(1);
            if (extra > 0) { // prompt tuning's virtual tokens come first and are attended
                mask = mask.getManager().ones(new Shape(mask.getShape().get(0), extra)).concat(mask, 1);
            }
            mask = mask.expandDims(-1); // [B, T, 1]
            NDArray counts = mask.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE);
            pooled = hidden.mul(mask).sum(new int[] {1}).div(counts);
        }
        if (normalize) {
            NDArray norms = pooled.norm(new int[] {1}, true).clip(1e-12f, Float.MAX_VALUE);
            pooled = pooled.div(norms);
        }
        return new NDList(pooled);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape hidden = inputShapes[0];
        return new Shape[] {new Shape(hidden.get(0), hidden.get(2))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children
    }
}

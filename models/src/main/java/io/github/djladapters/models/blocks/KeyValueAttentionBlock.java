package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import java.util.Optional;

/**
 * What every multi-head attention of this module shares: it holds the installed
 * {@link KeyValueExtension}, says its key/value heads and head width, and returns
 * {@code (output [B, T, H], keys, values)} with keys and values {@code [B, kvHeads, P + T, headDim]}.
 * Subclasses declare their projections (with their role annotations) and write the forward pass.
 */
public abstract class KeyValueAttentionBlock extends AbstractBlock implements KeyValueAttention {

    private final int keyValueHeads;
    private final int headDim;
    private KeyValueExtension extension;

    /**
     * An attention block of the given key/value geometry.
     *
     * @param keyValueHeads the key/value heads (fewer than the query heads under grouped-query attention)
     * @param headDim the width of one head
     */
    protected KeyValueAttentionBlock(int keyValueHeads, int headDim) {
        this.keyValueHeads = keyValueHeads;
        this.headDim = headDim;
    }

    @Override
    public void setKeyValueExtension(KeyValueExtension extension) {
        this.extension = extension;
    }

    @Override
    public Optional<KeyValueExtension> keyValueExtension() {
        return Optional.ofNullable(extension);
    }

    @Override
    public int keyValueHeads() {
        return keyValueHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    /**
     * Attends with {@link DotProductAttention} (which applies the installed extension), projects the
     * merged context with {@code output}, applies the output extension, and returns the block's outputs.
     *
     * @param ps the parameter store
     * @param output the output projection
     * @param query the query {@code [B, heads, T, headDim]}
     * @param keys the keys of all positions {@code [B, kvHeads, P + T, headDim]}
     * @param values the values of all positions
     * @param bias the additive attention mask
     * @param scale the factor of the scores
     * @param training whether this is a training pass
     * @param params passed through to the projection
     * @return {@code (output [B, T, H], keys, values)}
     */
    protected NDList attend(ParameterStore ps, Block output, NDArray query, NDArray keys, NDArray values,
            NDArray bias, float scale, boolean training, PairList<String, Object> params) {
        NDArray context = DotProductAttention.context(this, query, keys, values, bias, scale);
        NDArray out = extendOutput(query, output.forward(ps, new NDList(context), training, params).head());
        return new NDList(out, keys, values);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        Shape kv = new Shape(x.get(0), keyValueHeads, x.get(1), headDim);
        return new Shape[] {x, kv, kv};
    }
}

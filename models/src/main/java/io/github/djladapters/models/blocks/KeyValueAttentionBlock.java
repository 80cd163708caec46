package io.github.djladapters.models.blocks;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import io.github.djladapters.runtime.attention.KeyValueAttention;
import io.github.djladapters.runtime.attention.KeyValueExtension;
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

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        Shape kv = new Shape(x.get(0), keyValueHeads, x.get(1), headDim);
        return new Shape[] {x, kv, kv};
    }
}

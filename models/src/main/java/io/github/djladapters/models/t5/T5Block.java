package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * What the T5 encoder and decoder blocks share ({@code block.N}): the sub-layer list {@code layer},
 * whose first entry is the self-attention sub-layer and whose last is the feed-forward sub-layer.
 * The decoder block puts its cross-attention sub-layer between them. Only block 0 of each stack
 * holds {@code relative_attention_bias}.
 */
public abstract class T5Block extends AbstractBlock {

    T5LayerSelfAttention selfAttentionLayer;
    T5LayerFF ffLayer;

    private final int dModel;
    private final List<Block> parts = new ArrayList<>();

    /**
     * Registers the sub-layers as {@code layer.0}, {@code layer.1} (and {@code layer.2}).
     *
     * @param config the architecture
     * @param selfAttention the self-attention sub-layer
     * @param crossAttention the cross-attention sub-layer, or null in the encoder
     * @param ff the feed-forward sub-layer
     */
    T5Block(T5Config config, T5LayerSelfAttention selfAttention, T5LayerCrossAttention crossAttention, T5LayerFF ff) {
        dModel = config.dModel();
        selfAttentionLayer = selfAttention;
        ffLayer = ff;
        parts.add(selfAttention);
        if (crossAttention != null) {
            parts.add(crossAttention);
        }
        parts.add(ff);
        addChildBlock("layer", new ModuleList<>(parts));
    }

    /**
     * The self-attention block, which in block 0 computes the stack's relative position bias.
     *
     * @return {@code layer.0.SelfAttention}
     */
    T5Attention selfAttention() {
        return selfAttentionLayer.SelfAttention;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, dModel);
        for (Block part : parts) {
            part.initialize(manager, dataType, hidden);
        }
    }
}

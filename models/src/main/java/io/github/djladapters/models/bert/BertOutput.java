package io.github.djladapters.models.bert;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.LayerNorm2;
import io.github.djladapters.annotations.OutputProj;

/**
 * The second half of a BERT feed-forward block ({@code output}): {@code dense} back to the hidden
 * width, dropout, residual add and {@code LayerNorm}. Inputs: the activated intermediate states and
 * the residual (the feed-forward block's input).
 */
public final class BertOutput extends BertResidualNorm {

    @OutputProj Block dense;
    @LayerNorm2 Block layerNorm;

    BertOutput(BertConfig config) {
        super(config, config.intermediateSize());
        dense = dense();
        layerNorm = layerNorm();
    }
}

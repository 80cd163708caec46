package io.github.djladapters.models.bert;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.github.djladapters.annotations.LayerNorm2;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.models.blocks.LayerNorm;

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
        dense = addChildBlock("dense", Linear.builder().setUnits(config.hiddenSize()).build());
        layerNorm = addChildBlock("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
    }

    @Override
    Block dense() {
        return dense;
    }

    @Override
    Block layerNorm() {
        return layerNorm;
    }
}

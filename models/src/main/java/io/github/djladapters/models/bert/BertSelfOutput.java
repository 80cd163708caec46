package io.github.djladapters.models.bert;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.github.djladapters.annotations.LayerNorm1;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * The attention output of one BERT layer ({@code attention.output}): {@code dense} projection,
 * dropout, residual add and {@code LayerNorm}. Inputs: the attention context and the residual
 * (the attention block's input); output: the normalised sum.
 */
public final class BertSelfOutput extends BertResidualNorm {

    @OProj Block dense;
    @LayerNorm1 Block layerNorm;

    BertSelfOutput(BertConfig config) {
        super(config, config.hiddenSize());
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

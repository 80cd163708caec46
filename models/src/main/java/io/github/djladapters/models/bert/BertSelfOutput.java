package io.github.djladapters.models.bert;

import ai.djl.nn.Block;
import io.github.djladapters.annotations.LayerNorm1;
import io.github.djladapters.annotations.OProj;

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
        dense = dense();
        layerNorm = layerNorm();
    }
}

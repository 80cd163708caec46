package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.LayerNorm;

/**
 * The embeddings of a BERT-family model ({@code embeddings}): {@code word_embeddings},
 * {@code position_embeddings}, {@code token_type_embeddings}, summed and normalised by
 * {@code LayerNorm}. Inputs: {@code input_ids} and {@code token_type_ids}, both {@code [B, T]}
 * int64. BERT numbers positions {@code 0..T-1}; RoBERTa numbers the non-padding tokens from
 * {@code pad_token_id + 1} and gives padding the position {@code pad_token_id}.
 */
public final class BertEmbeddings extends AbstractBlock {

    @Embeddings Block wordEmbeddings;
    Embedding positionEmbeddings;
    Embedding tokenTypeEmbeddings;
    LayerNorm layerNorm;

    private final boolean robertaPositions;
    private final int padTokenId;
    private final float dropout;

    BertEmbeddings(BertConfig config) {
        int hidden = config.hiddenSize();
        robertaPositions = config.isRoberta();
        padTokenId = config.padTokenId();
        dropout = config.hiddenDropoutProb();
        wordEmbeddings = addChildBlock("word_embeddings", new Embedding(config.vocabSize(), hidden));
        positionEmbeddings = addChildBlock(
                "position_embeddings", new Embedding(config.maxPositionEmbeddings(), hidden));
        tokenTypeEmbeddings = addChildBlock(
                "token_type_embeddings", new Embedding(config.typeVocabSize(), hidden));
        layerNorm = addChildBlock("LayerNorm", new LayerNorm(hidden, config.layerNormEps()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray words = words(ps, ids, training, params);
        return new NDList(combine(ps, words, positionIds(ids), inputs.get(1), training, params));
    }

    /** The word embeddings alone, what prompt tuning puts its virtual tokens before. */
    NDArray words(ParameterStore ps, NDArray ids, boolean training, PairList<String, Object> params) {
        return wordEmbeddings.forward(ps, new NDList(ids), training, params).head();
    }

    /**
     * Word embeddings plus position and token-type embeddings, normalised.
     *
     * @param words {@code [B, T, H]}
     * @param positionIds {@code [T]} or {@code [B, T]}
     * @param types {@code [B, T]}
     */
    NDArray combine(ParameterStore ps, NDArray words, NDArray positionIds, NDArray types, boolean training,
            PairList<String, Object> params) {
        NDArray positions = positionEmbeddings.forward(ps, new NDList(positionIds), training, params).head();
        NDArray typed = tokenTypeEmbeddings.forward(ps, new NDList(types), training, params).head();
        NDArray sum = words.add(positions).addi(typed); // in place: the first sum is this call's own
        NDArray normed = layerNorm.forward(ps, new NDList(sum), training, params).head();
        if (training && dropout > 0) {
            normed = DropoutMask.apply(normed, dropout);
        }
        return normed;
    }

    /**
     * The position ids for a batch of token ids.
     *
     * @param ids token ids {@code [B, T]}
     * @return {@code [T]} for BERT, {@code [B, T]} for RoBERTa
     */
    NDArray positionIds(NDArray ids) {
        if (!robertaPositions) {
            return ids.getManager().arange(0L, ids.getShape().get(1), 1L, DataType.INT64);
        }
        NDArray notPad = ids.neq(padTokenId).toType(DataType.INT64, false);
        return notPad.cumSum(1).mul(notPad).add(padTokenId);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return wordEmbeddings.getOutputShapes(new Shape[] {inputShapes[0]});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = new Shape(1, 1);
        wordEmbeddings.initialize(manager, dataType, ids);
        positionEmbeddings.initialize(manager, dataType, ids);
        tokenTypeEmbeddings.initialize(manager, dataType, ids);
        layerNorm.initialize(manager, dataType, new Shape(1, 1, positionEmbeddings.dim()));
    }
}

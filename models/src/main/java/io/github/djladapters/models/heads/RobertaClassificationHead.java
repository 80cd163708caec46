package io.github.djladapters.models.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.CopyableBlock;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * RoBERTa's sequence classification head ({@code classifier}): {@code dense} and tanh over the
 * first token, then {@code out_proj} to the labels. Input: {@code last_hidden_state [B, T, H]};
 * output: logits {@code [B, labels]}. Copyable, so that it can be in PEFT's {@code modules_to_save}.
 */
public final class RobertaClassificationHead extends AbstractBlock implements CopyableBlock {

    Block dense;
    Block outProj;

    private final int hidden;
    private final int labels;
    private final float dropout;

    /**
     * A head for {@code labels} classes.
     *
     * @param hidden the hidden width
     * @param labels the number of classes
     * @param dropout dropout while training
     */
    public RobertaClassificationHead(int hidden, int labels, float dropout) {
        this.hidden = hidden;
        this.labels = labels;
        this.dropout = dropout;
        dense = addChildBlock("dense", new FlatLinear(hidden, true));
        outProj = addChildBlock("out_proj", new FlatLinear(labels, true));
    }

    /**
     * A new head of the same sizes and dropout, not initialised.
     *
     * @return the new head
     */
    @Override
    public Block newInstance() {
        return new RobertaClassificationHead(hidden, labels, dropout);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head().get(new NDIndex(":, 0, :"));
        if (training && dropout > 0) {
            x = Dropout.dropout(x, dropout, true).head();
        }
        x = dense.forward(ps, new NDList(x), training, params).head().tanh();
        if (training && dropout > 0) {
            x = Dropout.dropout(x, dropout, true).head();
        }
        return outProj.forward(ps, new NDList(x), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return outProj.getOutputShapes(new Shape[] {new Shape(inputShapes[0].get(0), hidden)});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, new Shape(1, hidden));
        outProj.initialize(manager, dataType, new Shape(1, hidden));
    }
}

package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import java.util.Optional;

/**
 * The attention block of one BERT layer ({@code attention}): {@code self} (q/k/v and scaled
 * dot-product attention) and {@code output} (o projection, residual, layer norm). Inputs: hidden
 * states and the additive attention mask; output: the new hidden states.
 */
public final class BertAttention extends AbstractBlock implements KeyValueAttention {

    BertSelfAttention self;
    BertSelfOutput output;

    private final int hidden;

    BertAttention(BertConfig config) {
        hidden = config.hiddenSize();
        self = addChildBlock("self", new BertSelfAttention(config));
        output = addChildBlock("output", new BertSelfOutput(config));
    }

    @Override
    public void setKeyValueExtension(KeyValueExtension extension) {
        self.extension = extension;
    }

    @Override
    public Optional<KeyValueExtension> keyValueExtension() {
        return Optional.ofNullable(self.extension);
    }

    @Override
    public int keyValueHeads() {
        return self.heads();
    }

    @Override
    public int headDim() {
        return self.headDim();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return output.after(self, ps, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        output.initializeAfter(self, manager, dataType, new Shape(1, 1, hidden), new Shape(1, 1, 1, 1));
    }
}

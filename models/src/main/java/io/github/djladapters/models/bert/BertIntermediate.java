package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.blocks.Scalars;
import io.github.djladapters.annotations.IntermediateProj;
import java.util.Locale;

/**
 * The first half of a BERT feed-forward block ({@code intermediate}): the {@code dense}
 * projection to the intermediate width and the activation of {@code hidden_act}.
 */
public final class BertIntermediate extends AbstractBlock {

    @IntermediateProj Block dense;

    private final int hidden;
    private final String activation;

    BertIntermediate(BertConfig config) {
        hidden = config.hiddenSize();
        activation = config.hiddenAct().toLowerCase(Locale.ROOT);
        activate(null, activation); // fail at construction on an unknown activation
        dense = addChildBlock("dense", Linear.builder().setUnits(config.intermediateSize()).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray projected = dense.forward(ps, inputs, training, params).head();
        return new NDList(activate(projected, activation));
    }

    /**
     * Applies a Hugging Face activation by its config name.
     *
     * @param x the input, or null to only check the name
     * @param name {@code gelu} (exact, erf form), {@code gelu_new}/{@code gelu_pytorch_tanh}
     *     (tanh approximation), {@code relu} or {@code tanh}
     * @return the activated array
     */
    static NDArray activate(NDArray x, String name) {
        switch (name) {
            case "gelu":
                return x == null ? null : Scalars.mul(x, 0.5).mul(Scalars.mul(x, 1 / Math.sqrt(2)).erf().add(1f));
            case "gelu_new":
            case "gelu_pytorch_tanh":
                return x == null ? null : Activation.gelu(x);
            case "relu":
                return x == null ? null : Activation.relu(x);
            case "tanh":
                return x == null ? null : x.tanh();
            default:
                throw new IllegalArgumentException("hidden_act '" + name
                        + "' is not supported; expected gelu, gelu_new, gelu_pytorch_tanh, relu or tanh");
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return dense.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        dense.initialize(manager, dataType, new Shape(1, hidden));
    }
}

package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.OutputProj;
import io.github.djladapters.models.blocks.Activations;
import io.github.djladapters.models.blocks.Conv1D;
import java.util.function.UnaryOperator;

/**
 * The feed-forward block of one GPT-2 layer ({@code h.N.mlp}): {@code c_fc}, activation,
 * {@code c_proj}, both {@link Conv1D}. Input and output: hidden states {@code [B, T, H]}.
 */
public final class GPT2MLP extends AbstractBlock {

    @IntermediateProj Block c_fc;
    @OutputProj Block c_proj;

    private final int hidden;
    private final int inner;
    private final UnaryOperator<NDArray> activation;

    GPT2MLP(GPT2Config config) {
        hidden = config.nEmbd();
        inner = config.nInner();
        activation = activation(config.activationFunction());
        c_fc = addChildBlock("c_fc", new Conv1D(hidden, inner));
        c_proj = addChildBlock("c_proj", new Conv1D(inner, hidden));
    }

    /**
     * The activation named in config.json.
     *
     * @param name {@code gelu_new}, {@code gelu_pytorch_tanh}, {@code gelu} or {@code relu}
     * @return the function
     * @throws IllegalArgumentException for another name
     */
    static UnaryOperator<NDArray> activation(String name) {
        return Activations.byName(name);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray up = c_fc.forward(ps, inputs, training, params).head();
        return c_proj.forward(ps, new NDList(activation.apply(up)), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        c_fc.initialize(manager, dataType, new Shape(1, hidden));
        c_proj.initialize(manager, dataType, new Shape(1, inner));
    }
}

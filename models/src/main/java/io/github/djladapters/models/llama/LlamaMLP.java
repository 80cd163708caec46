package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.IntermediateProj;
import io.github.djladapters.annotations.OutputProj;

/**
 * The SwiGLU feed-forward block of one Llama-family layer ({@code layers.N.mlp}):
 * {@code down_proj(silu(gate_proj(x)) * up_proj(x))}. {@code up_proj} is the intermediate
 * projection adapters see; {@code gate_proj} is a plain child (LoRA still reaches it by name).
 */
public final class LlamaMLP extends AbstractBlock {

    Block gate_proj;
    @IntermediateProj Block up_proj;
    @OutputProj Block down_proj;

    private final int hidden;
    private final int intermediate;

    LlamaMLP(LlamaConfig config) {
        hidden = config.hiddenSize();
        intermediate = config.intermediateSize();
        gate_proj = addChildBlock("gate_proj", LlamaAttention.linear(intermediate, config.mlpBias()));
        up_proj = addChildBlock("up_proj", LlamaAttention.linear(intermediate, config.mlpBias()));
        down_proj = addChildBlock("down_proj", LlamaAttention.linear(hidden, config.mlpBias()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray gate = gate_proj.forward(ps, inputs, training, params).head();
        NDArray up = up_proj.forward(ps, inputs, training, params).head();
        NDArray gated = gate.mul(Activation.sigmoid(gate)).mul(up);
        return down_proj.forward(ps, new NDList(gated), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, hidden);
        gate_proj.initialize(manager, dataType, in);
        up_proj.initialize(manager, dataType, in);
        down_proj.initialize(manager, dataType, new Shape(1, intermediate));
    }
}

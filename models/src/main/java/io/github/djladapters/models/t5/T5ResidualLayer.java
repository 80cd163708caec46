package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.PartsBlock;
import io.github.djladapters.models.blocks.RmsNorm;

/**
 * One sub-layer of a T5 block ({@code block.N.layer.M}): {@code x + sublayer(layer_norm(x), ...)},
 * shared by the self-attention, cross-attention and feed-forward sub-layers. Inputs: hidden states,
 * then whatever else the sublayer reads after its normalised input (attention bias, cached or encoder
 * keys and values). Outputs: hidden states, then, when the sub-layer passes them on, the sublayer's
 * further outputs (the self-attention's keys and values). The subclass registers its sublayer with
 * {@link #addPart} and the norm with {@link #addLayerNorm}, keeping both in role fields.
 */
abstract class T5ResidualLayer extends PartsBlock<T5ResidualLayer.Part> {

    /** The two children. */
    enum Part {
        SUBLAYER,
        LAYER_NORM
    }

    private final T5Config config;
    private final boolean passesKeyValues;

    /**
     * A sub-layer with nothing registered yet.
     *
     * @param config the architecture
     * @param passesKeyValues whether the sublayer's further outputs (keys and values) follow the hidden states
     */
    T5ResidualLayer(T5Config config, boolean passesKeyValues) {
        super(Part.class);
        this.config = config;
        this.passesKeyValues = passesKeyValues;
    }

    /**
     * Registers the RMS norm {@code layer_norm}; call after the sublayer, as the checkpoint orders them.
     *
     * @return the norm, to keep in the subclass's role field
     */
    final Block addLayerNorm() {
        return addPart(Part.LAYER_NORM, "layer_norm", new RmsNorm(config.dModel(), config.layerNormEpsilon()));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList sublayerInputs = new NDList(part(Part.LAYER_NORM).forward(ps, new NDList(x), training, params).head());
        sublayerInputs.addAll(inputs.subNDList(1));
        NDList out = part(Part.SUBLAYER).forward(ps, sublayerInputs, training, params);
        NDList result = new NDList(x.add(out.head()));
        if (passesKeyValues) {
            result.addAll(out.subNDList(1));
        }
        return result;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return passesKeyValues ? part(Part.SUBLAYER).getOutputShapes(inputShapes) : new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, config.dModel());
        part(Part.SUBLAYER).initialize(manager, dataType, hidden);
        part(Part.LAYER_NORM).initialize(manager, dataType, hidden);
    }
}

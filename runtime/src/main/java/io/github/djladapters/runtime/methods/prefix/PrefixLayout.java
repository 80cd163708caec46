package io.github.djladapters.runtime.methods.prefix;

import io.github.djladapters.runtime.architecture.EncoderDecoderModel;
import io.github.djladapters.runtime.methods.BoundModel;

/**
 * Which block of an adapter's table of keys and values each declared layer reads, as PEFT lays it
 * out.
 *
 * <ul>
 *   <li>One transformer submodule (encoders, decoders): the table has a block per layer, and layer
 *       {@code i} reads block {@code i}.</li>
 *   <li>Two (encoder-decoder models, PEFT's {@code SEQ_2_SEQ_LM}): the table has {@code num_layers}
 *       blocks, {@code num_layers} counting the encoder's. PEFT's {@code get_prompt} repeats the table
 *       ({@code [blocks, blocks]}) and cuts it into groups of four (self-attention keys and values,
 *       cross-attention keys and values) per decoder layer; transformers then drops the
 *       cross-attention part and the encoder reads none. So decoder layer {@code i} reads block
 *       {@code 2i mod num_layers}, and PEFT fails on a model with more decoder than encoder layers.</li>
 * </ul>
 *
 * @param submodules PEFT's {@code num_transformer_submodules}, 1 or 2
 * @param tableLayers the blocks in the table (PEFT's {@code num_layers})
 */
record PrefixLayout(int submodules, int tableLayers) {

    /**
     * The layout of a model, checked against a config.
     *
     * @param model the bound model
     * @param config the adapter's config
     * @return the layout
     * @throws IllegalArgumentException when the config's submodules do not fit the model, or an
     *     encoder-decoder model has more decoder than encoder layers
     */
    static PrefixLayout of(BoundModel model, PrefixTuningConfig config) {
        Integer configured = config.numTransformerSubmodules();
        String type = model.model().getClass().getSimpleName();
        if (!(model.model() instanceof EncoderDecoderModel encoderDecoder)) {
            if (configured != null && configured != 1) {
                throw new IllegalArgumentException("prefix tuning num_transformer_submodules " + configured
                        + " is for encoder-decoder models; " + type + " takes 1");
            }
            return new PrefixLayout(1, model.layerCount());
        }
        if (configured != null && configured != 2) {
            throw new IllegalArgumentException("prefix tuning num_transformer_submodules " + configured
                    + " does not fit the encoder-decoder model " + type + ": PEFT uses 2 for it (task_type "
                    + "SEQ_2_SEQ_LM) and fails with 1");
        }
        int encoderLayers = encoderDecoder.encoderLayerCount();
        if (model.layerCount() > encoderLayers) {
            throw new IllegalArgumentException("prefix tuning on " + type + " follows PEFT's layout, which gives "
                    + "decoder layer i the block 2i mod num_layers of a table of num_layers = " + encoderLayers
                    + " encoder layers and holds no more decoder layers than that; this model has "
                    + model.layerCount() + " decoder layers (PEFT fails on it too)");
        }
        return new PrefixLayout(2, encoderLayers);
    }

    /**
     * The block of the table a declared layer reads.
     *
     * @param layer the declared layer (a decoder layer of an encoder-decoder model)
     * @return the block index
     */
    int tableLayer(int layer) {
        return submodules == 1 ? layer : (2 * layer) % tableLayers;
    }
}

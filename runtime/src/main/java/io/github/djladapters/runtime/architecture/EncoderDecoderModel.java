package io.github.djladapters.runtime.architecture;

import ai.djl.nn.Block;

/**
 * An encoder-decoder model (T5) whose declared {@code @Layers} are its decoder blocks. Prompt-learning
 * methods follow PEFT's sequence-to-sequence conventions on it ({@code num_transformer_submodules: 2},
 * {@code num_layers} counting the encoder's blocks); prefix tuning reaches the decoder's
 * self-attention only, as in PEFT, where the encoder does not read {@code past_key_values}.
 */
public interface EncoderDecoderModel extends Block {

    /**
     * How many blocks the encoder has (Hugging Face's {@code num_layers}, which PEFT takes as its
     * {@code num_layers}).
     *
     * @return the encoder's block count
     */
    int encoderLayerCount();
}

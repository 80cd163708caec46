package io.github.djladapters.runtime.methods.prompt;

/** P-tuning's {@code encoder_reparameterization_type}: what turns the virtual tokens into prompts. */
public enum PromptEncoderReparameterization {
    /** Three linear layers with ReLU between them: {@code d -> h -> h -> d}. */
    MLP,
    /**
     * A bidirectional LSTM of {@code encoder_num_layers} layers with hidden size {@code h}, then an MLP
     * {@code 2h -> 2h -> d}.
     */
    LSTM
}

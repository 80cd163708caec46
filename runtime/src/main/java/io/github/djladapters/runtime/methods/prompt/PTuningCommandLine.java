package io.github.djladapters.runtime.methods.prompt;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code train --method p-tuning}: {@code --method-option num_virtual_tokens=N},
 * {@code encoder_reparameterization_type=MLP|LSTM}, {@code encoder_hidden_size=H},
 * {@code encoder_num_layers=L}.
 */
final class PTuningCommandLine implements MethodCommandLine {

    private static final String TYPE = "encoder_reparameterization_type";
    private static final String HIDDEN = "encoder_hidden_size";
    private static final String LAYERS = "encoder_num_layers";

    @Override
    public Map<String, String> methods() {
        return Map.of("p-tuning", "Virtual-token embeddings computed by a small MLP or LSTM encoder (P-tuning).");
    }

    @Override
    public Map<String, String> options() {
        return Map.of(PromptCommandLine.VIRTUAL_TOKENS, "how many virtual tokens (default 20)",
                TYPE, "MLP (default) or LSTM",
                HIDDEN, "the encoder's hidden size (default: the model's width)",
                LAYERS, "the LSTM's layers (default 2)");
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, Set.of(PromptCommandLine.VIRTUAL_TOKENS, TYPE, HIDDEN, LAYERS));
        PromptEncoderConfig.Builder builder = PromptEncoderConfig.builder()
                .numVirtualTokens(arguments.integer(PromptCommandLine.VIRTUAL_TOKENS, 20))
                .encoderNumLayers(arguments.integer(LAYERS, 2));
        String type = arguments.text(TYPE);
        if (type != null) {
            try {
                builder.reparameterization(
                        PromptEncoderReparameterization.valueOf(type.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(TYPE + " must be MLP or LSTM, got '" + type + "'", e);
            }
        }
        if (arguments.text(HIDDEN) != null) {
            builder.encoderHiddenSize(arguments.integer(HIDDEN, 0));
        }
        return builder.build();
    }
}

package io.github.djladapters.runtime.methods.prefix;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code train --method prefix-tuning}: {@code --method-option num_virtual_tokens=N},
 * {@code prefix_projection=true|false}, {@code encoder_hidden_size=H}.
 */
final class PrefixCommandLine implements MethodCommandLine {

    private static final String VIRTUAL_TOKENS = "num_virtual_tokens";
    private static final String PROJECTION = "prefix_projection";
    private static final String HIDDEN = "encoder_hidden_size";

    @Override
    public Map<String, String> methods() {
        return Map.of("prefix-tuning", "Learned keys and values before every layer's attention (prefix tuning).");
    }

    @Override
    public Map<String, String> options() {
        return Map.of(VIRTUAL_TOKENS, "how many prefix positions (default 20)",
                PROJECTION, "true to compute them with an MLP (default false)",
                HIDDEN, "the MLP's hidden size (default: the model's key/value width)");
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, Set.of(VIRTUAL_TOKENS, PROJECTION, HIDDEN));
        PrefixTuningConfig.Builder builder = PrefixTuningConfig.builder()
                .numVirtualTokens(arguments.integer(VIRTUAL_TOKENS, 20));
        String projection = arguments.text(PROJECTION);
        boolean project = false;
        if (projection != null) {
            project = switch (projection.trim().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(PROJECTION + " must be true or false, got '"
                        + projection + "'");
            };
        }
        if (arguments.text(HIDDEN) != null && !project) {
            throw new IllegalArgumentException(HIDDEN + " needs " + PROJECTION + "=true");
        }
        if (project && arguments.text(HIDDEN) != null) {
            builder.prefixProjection(arguments.integer(HIDDEN, 0));
        } else if (project) {
            builder.prefixProjection();
        }
        return builder.build();
    }
}

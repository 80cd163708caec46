package io.github.djladapters.runtime.methods.prompt;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code train --method prompt-tuning}: {@code --method-option num_virtual_tokens=N},
 * {@code prompt_tuning_init=RANDOM|SAMPLE_VOCAB|TEXT}, {@code prompt_tuning_init_text=...},
 * {@code tokenizer_name_or_path=...}.
 */
final class PromptCommandLine implements MethodCommandLine {

    static final String VIRTUAL_TOKENS = "num_virtual_tokens";
    private static final String INIT = "prompt_tuning_init";
    private static final String TEXT = "prompt_tuning_init_text";
    private static final String TOKENIZER = "tokenizer_name_or_path";

    @Override
    public Map<String, String> methods() {
        return Map.of("prompt-tuning", "Learned virtual-token embeddings before the inputs (prompt tuning).");
    }

    @Override
    public Map<String, String> options() {
        return Map.of(VIRTUAL_TOKENS, "how many virtual tokens (default 20)",
                INIT, "RANDOM (default), SAMPLE_VOCAB or TEXT",
                TEXT, "the text TEXT starts from",
                TOKENIZER, "the tokenizer.json TEXT tokenizes with");
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, Set.of(VIRTUAL_TOKENS, INIT, TEXT, TOKENIZER));
        PromptTuningConfig.Builder builder = PromptTuningConfig.builder()
                .numVirtualTokens(arguments.integer(VIRTUAL_TOKENS, 20));
        String init = arguments.text(INIT);
        PromptTuningInit chosen = PromptTuningInit.RANDOM;
        if (init != null) {
            try {
                chosen = PromptTuningInit.valueOf(init.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(INIT + " must be RANDOM, SAMPLE_VOCAB or TEXT, got '" + init + "'",
                        e);
            }
        }
        if (chosen == PromptTuningInit.TEXT) {
            if (arguments.text(TEXT) == null || arguments.text(TOKENIZER) == null) {
                throw new IllegalArgumentException(INIT + "=TEXT needs " + TEXT + " and " + TOKENIZER);
            }
            return builder.initText(arguments.text(TEXT), Path.of(arguments.text(TOKENIZER))).build();
        }
        return builder.init(chosen).build();
    }
}

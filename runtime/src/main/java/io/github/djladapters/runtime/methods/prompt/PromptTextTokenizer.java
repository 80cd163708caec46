package io.github.djladapters.runtime.methods.prompt;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns prompt tuning's {@code prompt_tuning_init_text} into token ids for {@link PromptTuningInit#TEXT},
 * with the special tokens the tokenizer adds (as PEFT's {@code tokenizer(text)["input_ids"]}). The
 * runtime has no tokenizer of its own: a module that has one (the {@code models} module, over Hugging
 * Face's {@code tokenizer.json}) provides it through {@link java.util.ServiceLoader}, listed in
 * {@code META-INF/services/io.github.djladapters.runtime.methods.prompt.PromptTextTokenizer}.
 */
public interface PromptTextTokenizer {

    /**
     * Tokenizes a text.
     *
     * @param tokenizer {@code tokenizer_name_or_path}: a {@code tokenizer.json} or a folder holding one
     * @param text the text
     * @return the token ids, special tokens included
     * @throws IOException when the tokenizer cannot be read
     */
    long[] encode(Path tokenizer, String text) throws IOException;
}

package io.github.djladapters.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.djladapters.runtime.methods.prompt.PromptTextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Prompt tuning's TEXT initialisation over a Hugging Face {@code tokenizer.json}: the text's ids
 * with the tokenizer's special tokens, as PEFT's {@code tokenizer(text)["input_ids"]}. Found by the
 * runtime through {@link java.util.ServiceLoader}.
 */
public final class PromptInitTokenizer implements PromptTextTokenizer {

    @Override
    public long[] encode(Path tokenizer, String text) throws IOException {
        Path file = Files.isDirectory(tokenizer) ? tokenizer.resolve("tokenizer.json") : tokenizer;
        if (!Files.isRegularFile(file)) {
            throw new IOException("no tokenizer.json at " + tokenizer);
        }
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(file)
                .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build()) {
            Encoding encoding = hf.encode(text);
            return encoding.getIds();
        }
    }
}

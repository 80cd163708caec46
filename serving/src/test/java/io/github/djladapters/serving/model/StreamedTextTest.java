package io.github.djladapters.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.djladapters.serving.http.TinyGpt2;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A text decoded once at the end (no sink, no stop strings) equals the same tokens decoded token by token. */
class StreamedTextTest {

    private static final int[] TOKENS = {5, 9, 17, 3, 3, 100, 41};

    @Test
    void decodingOnceAtTheEndGivesTheTextOfDecodingEveryToken(@TempDir Path dir) throws Exception {
        TinyGpt2.writeModel(dir);
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"))) {
            StringBuilder streamed = new StringBuilder();
            StreamedText everyToken = new StreamedText(tokenizer, List.of(), streamed::append);
            StreamedText atEnd = new StreamedText(tokenizer, List.of(), null);
            for (int i = 0; i < TOKENS.length; i++) {
                everyToken.add(TOKENS[i], false);
                atEnd.add(TOKENS[i], false);
            }
            Completion want = everyToken.finish(3);
            Completion got = atEnd.finish(3);
            assertEquals("w5 w9 w17 w3 w3 w100 w41", want.text());
            assertEquals(want, got);
            assertEquals(want.text(), streamed.toString(), "the streamed pieces add up to the text");
        }
    }

    @Test
    void aStopTokenEndsTheTextDecodedAtTheEndAsItEndsTheStreamedOne(@TempDir Path dir) throws Exception {
        TinyGpt2.writeModel(dir);
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"))) {
            StreamedText everyToken = new StreamedText(tokenizer, List.of(), piece -> { });
            StreamedText atEnd = new StreamedText(tokenizer, List.of(), null);
            for (int i = 0; i < TOKENS.length; i++) {
                everyToken.add(TOKENS[i], i == 3);
                atEnd.add(TOKENS[i], i == 3);
            }
            Completion got = atEnd.finish(3);
            assertEquals(everyToken.finish(3), got);
            assertEquals(4, got.completionTokens());
            assertEquals("stop", got.finishReason());
        }
    }
}

package io.github.djladapters.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Texts tokenised apart (one request at a time) and padded together equal the same texts tokenised at once. */
class TokenBatchConcatTest {

    private static final List<String> TEXTS = List.of("fine", "the battery lasts all day and the screen is bright",
            "it broke after a week", "great value");

    private static void assertSameRows(TokenBatch want, TokenBatch got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.inputIds()[i], got.inputIds()[i], "ids of row " + i);
            assertArrayEquals(want.attentionMask()[i], got.attentionMask()[i], "mask of row " + i);
            assertArrayEquals(want.tokenTypeIds()[i], got.tokenTypeIds()[i], "token types of row " + i);
        }
    }

    @Test
    void batchesTokenisedApartAndConcatenatedEqualOneBatchOfAllTexts(@TempDir Path cache) throws Exception {
        try (PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cache, 64)) {
            TokenBatch together = tokenizer.tokenize(TEXTS);
            TokenBatch apart = tokenizer.concat(List.of(tokenizer.tokenize(TEXTS.subList(0, 1)),
                    tokenizer.tokenize(TEXTS.subList(1, 3)), tokenizer.tokenize(TEXTS.subList(3, 4))));
            assertEquals(together.length(), apart.length());
            assertSameRows(together, apart);
            assertEquals(0, apart.attentionMask()[0][apart.length() - 1], "the short row is padded on the right");
        }
    }

    @Test
    void paddingUsesTheGivenIdOnTheGivenSide() {
        TokenBatch a = new TokenBatch(new long[][] {{101, 7, 102}}, new long[][] {{1, 1, 1}}, new long[][] {{0, 0, 0}});
        TokenBatch b = new TokenBatch(new long[][] {{101, 102}}, new long[][] {{1, 1}}, new long[][] {{1, 1}});
        TokenBatch right = TokenBatch.concat(List.of(a, b), 9, false);
        assertArrayEquals(new long[] {101, 102, 9}, right.inputIds()[1]);
        assertArrayEquals(new long[] {1, 1, 0}, right.attentionMask()[1]);
        assertArrayEquals(new long[] {1, 1, 0}, right.tokenTypeIds()[1]);
        TokenBatch left = TokenBatch.concat(List.of(a, b), 9, true);
        assertArrayEquals(new long[] {9, 101, 102}, left.inputIds()[1]);
        assertArrayEquals(new long[] {0, 1, 1}, left.attentionMask()[1]);
        assertArrayEquals(new long[] {101, 7, 102}, left.inputIds()[0]);
    }
}

package io.github.djladapters.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledTextFilesTest {

    @TempDir
    Path dir;

    @Test
    void csvKeepsQuotedCommasAndDoubledQuotes() throws IOException {
        Path file = dir.resolve("d.csv");
        Files.writeString(file, "label,text\npositive,\"Fine, really \"\"fine\"\".\"\nnegative,Bad.\n");
        List<LabelledText> examples = LabelledTextFiles.read(file, "text", "label");
        assertEquals(List.of(new LabelledText("Fine, really \"fine\".", "positive"), new LabelledText("Bad.", "negative")),
                examples);
        assertEquals(List.of("negative", "positive"), LabelledTextFiles.labels(examples));
    }

    @Test
    void jsonLinesNameTheLineOfAMissingField() throws IOException {
        Path file = dir.resolve("d.jsonl");
        Files.writeString(file, "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"no label\"}\n");
        IOException error = assertThrows(IOException.class, () -> LabelledTextFiles.read(file, "text", "label"));
        assertTrue(error.getMessage().endsWith("d.jsonl:2: no field 'label'"), error.getMessage());
    }

    @Test
    void theShippedReviewSplitsAreBalancedAndDisjoint() throws IOException {
        List<LabelledText> train = LabelledTextFiles.read(Path.of("..", "data", "reviews", "train.jsonl"), "text", "label");
        List<LabelledText> test = LabelledTextFiles.read(Path.of("..", "data", "reviews", "test.jsonl"), "text", "label");
        assertEquals(232, train.size());
        assertEquals(80, test.size());
        assertEquals(40, test.stream().filter(e -> e.label().equals("positive")).count());
        assertTrue(test.stream().noneMatch(train::contains), "held-out examples are not trained on");
    }

    @Test
    void unknownExtensionIsRejected() throws IOException {
        Path file = dir.resolve("d.txt");
        Files.writeString(file, "x");
        assertThrows(IOException.class, () -> LabelledTextFiles.read(file, "text", "label"));
    }
}

package io.github.djladapters.samples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartTest {

    @TempDir
    Path cacheDir;

    @Test
    void quickstartPrintsTheBindingsAndRealSentenceSimilarities() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        float[][] similarity;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            similarity = Quickstart.run(out, cacheDir);
        }
        String report = bytes.toString(StandardCharsets.UTF_8);

        assertTrue(report.contains("22,565,376 parameters"), report);
        assertTrue(report.contains("io.github.djladapters.models.bert.BertModel_AdapterBindings"), report);
        assertTrue(report.contains("Q_PROJ               encoder.layer.0.attention.self.query"), report);
        assertTrue(report.contains("OUTPUT_PROJ          encoder.layer.0.output.dense"), report);
        assertTrue(report.contains("EMBEDDINGS           embeddings.word_embeddings"), report);

        assertTrue(report.contains("trainable params: 73,728 || all params: 22,639,104 || trainable%: 0.3257"), report);
        assertTrue(report.contains("demo") && report.contains("Full model"), "adapter summary: " + report);
        Matcher merged = Pattern.compile("max \\|merged - unmerged\\| = (\\S+)").matcher(report);
        assertTrue(merged.find(), report);
        assertTrue(Double.parseDouble(merged.group(1)) < 1e-3, "merged equals unmerged: " + merged.group(1));
        Matcher changed = Pattern.compile("max \\|adapter - base\\|   = (\\S+)").matcher(report);
        assertTrue(changed.find(), report);
        assertTrue(Double.parseDouble(changed.group(1)) > 1e-2, "the LoRA changes the output: " + changed.group(1));

        for (int i = 0; i < similarity.length; i++) {
            assertEquals(1f, similarity[i][i], 1e-5f, "embeddings are unit length");
        }
        // paraphrases sit far closer than unrelated sentences: only real weights do that
        assertTrue(similarity[0][1] > similarity[0][2] + 0.3f, "guitar pair vs unrelated: " + similarity[0][1]);
        assertTrue(similarity[2][3] > similarity[1][3] + 0.3f, "market pair vs unrelated: " + similarity[2][3]);
    }
}

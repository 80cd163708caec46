package io.github.djladapters.samples.quickstart;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.finetune.LabelledText;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TextClassifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Loads the saved adapter into a fresh copy of the base model and compares its logits. */
final class ReloadCheck {

    /** Logits that differ by less than this are the same up to float rounding. */
    static final double TOLERANCE = 1e-4;

    private ReloadCheck() {}

    static double run(PrintStream out, TextClassifier trained, Path adapterDir, Path cacheDir, List<LabelledText> test)
            throws IOException {
        List<String> texts = test.stream().map(LabelledText::text).toList();
        float[][] expected = trained.logits(texts, 40);
        try (NDManager manager = NDManager.newBaseManager();
                Encoder fresh = Encoder.open(Encoder.BUILT_IN, cacheDir, manager, 64)) {
            TextClassifier reloaded = SavedClassifier.load(fresh, adapterDir, Quickstart.ADAPTER, manager);
            float[][] actual = reloaded.logits(texts, 40);
            double difference = 0;
            for (int i = 0; i < expected.length; i++) {
                for (int j = 0; j < expected[i].length; j++) {
                    difference = Math.max(difference, Math.abs(expected[i][j] - actual[i][j]));
                }
            }
            out.println();
            out.println("Reloaded: a fresh all-MiniLM-L6-v2 + the saved adapter and head from " + adapterDir);
            out.printf(Locale.ROOT, "  max |logits(reloaded) - logits(trained)| over %d reviews = %.2e: %s%n",
                    texts.size(), difference, difference < TOLERANCE ? "the same logits" : "DIFFERENT logits");
            return difference;
        }
    }
}

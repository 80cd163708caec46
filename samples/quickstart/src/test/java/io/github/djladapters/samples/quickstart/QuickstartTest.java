package io.github.djladapters.samples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.runtime.files.PeftAdapterFiles;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TrainingReport;
import io.github.djladapters.finetune.TrainingSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartTest {

    @TempDir
    Path dir;

    @Test
    void shortRunLearnsSavesAndReloadsTheSameLogits() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path adapterDir = dir.resolve("reviews-lora");
        QuickstartResult result;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            // the full run's settings, cut to 20 steps
            TrainingSettings shortRun = new TrainingSettings(Quickstart.TRAINING.epochs(),
                    Quickstart.TRAINING.batchSize(), Quickstart.TRAINING.learningRate(), Quickstart.TRAINING.seed(), 20);
            result = Quickstart.run(out, adapterDir, dir.resolve("cache"), shortRun);
        }
        String report = bytes.toString(StandardCharsets.UTF_8);

        for (String file : new String[] {PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE, SavedClassifier.HEAD_FILE,
                TrainingReport.CHART_FILE, TrainingReport.HTML_FILE}) {
            assertTrue(Files.size(adapterDir.resolve(file)) > 0, file);
            assertTrue(report.contains(file), "the listing names " + file);
        }
        assertTrue(Files.readString(adapterDir.resolve(PeftAdapterFiles.CONFIG_FILE)).contains("\"peft_type\": \"LORA\""));
        byte[] png = Files.readAllBytes(adapterDir.resolve(TrainingReport.CHART_FILE));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);

        assertEquals(20, result.history().losses().size());
        assertTrue(result.reloadDifference() < ReloadCheck.TOLERANCE, "reloaded logits: " + result.reloadDifference());
        assertTrue(report.contains("the same logits"), report);
        assertTrue(result.accuracyAfter() > 0.7, "held-out accuracy after 20 steps: " + result.accuracyAfter());

        assertTrue(report.contains("BertModel_AdapterBindings"), report);
        assertTrue(report.contains("trainable params: 73,728 || all params: 22,639,104 || trainable%: 0.3257"), report);
        assertTrue(report.contains("trainable params: 74,498 ||"), "head included: " + report);
        assertTrue(report.contains("reviews") && report.contains("Full model"), "adapter summary: " + report);
        assertTrue(report.contains("training [##############################] 20/20  loss"), "progress bar: " + report);
        assertTrue(report.contains("Held-out accuracy before training") && report.contains("after training"), report);
    }
}

package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.runtime.files.PeftAdapterFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Wrong arguments are usage errors (exit 2) found before any model loads; a training run whose loss
 * or weights turn non-finite stops with exit 1 and saves nothing.
 */
class HostileArgumentsTest {

    @TempDir Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "--max-length, 0, --max-length must be from 1",
        "--max-length, -5, --max-length must be from 1",
        "--rank, 0, --rank must be from 1",
        "--rank, 1000000000, --rank must be from 1",
        "--dropout, 1.5, '--dropout must be in [0, 1)'",
    })
    void outOfRangeValueIsAUsageError(String option, String value, String message) throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        CommandRun run = CommandRun.of("train", "--data", data.toString(), "--output", dir.resolve("out").toString(),
                option, value);
        assertEquals(DjlAdapters.USAGE, run.code(), run.toString());
        assertTrue(run.err().contains(message), run.toString());
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    }

    @Test
    void learningRateThatBlowsUpStopsTrainingWithoutSaving() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        Path output = dir.resolve("blown");
        CommandRun run = CommandRun.withModel("train", "--data", data.toString(), "--output", output.toString(),
                "--epochs", "2", "--batch-size", "4", "--max-length", "32", "--lr", "1e30");
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().contains("training stopped"), run.toString());
        assertFalse(Files.exists(output.resolve(PeftAdapterFiles.WEIGHTS_FILE)), "no adapter saved");
    }
}

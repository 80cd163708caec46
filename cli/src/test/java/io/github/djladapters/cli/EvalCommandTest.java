package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @TempDir
    Path dir;

    @Test
    void reportsAccuracyAndConfusionCounts() {
        CommandRun run = CommandRun.withModel("eval", "--adapter", TrainedAdapter.dir().toString(), "--data",
                CommandRun.TEST.toString(), "--max-length", "32");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().matches("(?s)accuracy: \\d+\\.\\d% \\(\\d+ of 80\\).*"), run.toString());
        assertTrue(run.out().contains("negative") && run.out().contains("positive"), run.toString());
    }

    @Test
    void missingAdapterDirectoryFails() {
        CommandRun run = CommandRun.withModel("eval", "--adapter", dir.resolve("none").toString(), "--data",
                CommandRun.TEST.toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: adapter directory not found"), run.toString());
    }

    @Test
    void missingDataIsAUsageError() {
        CommandRun run = CommandRun.of("eval", "--adapter", dir.toString());
        assertEquals(DjlAdapters.USAGE, run.code(), run.toString());
        assertTrue(run.err().contains("--data"), run.toString());
    }
}

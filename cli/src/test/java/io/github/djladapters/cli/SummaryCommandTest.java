package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryCommandTest {

    @TempDir
    Path dir;

    @Test
    void printsTheModelAndItsAdapterSites() {
        CommandRun run = CommandRun.withModel("summary");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("22,565,376 parameters"), run.toString());
        assertTrue(run.out().contains("BertModel_AdapterBindings"), run.toString());
        assertTrue(run.out().contains("encoder.layer.0.attention.self.query"), run.toString());
    }

    @Test
    void printsTheSummaryOfALoadedAdapter() {
        CommandRun run = CommandRun.withModel("summary", "--adapter", TrainedAdapter.dir().toString());
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("lora") && run.out().contains("73,728"), run.toString());
    }

    @Test
    void unknownModelFails() {
        CommandRun run = CommandRun.withModel("summary", "--model", dir.resolve("no-model").toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().contains("neither all-MiniLM-L6-v2 nor a model directory"), run.toString());
    }

    @Test
    void adapterDirectoryWithoutConfigFails() {
        CommandRun run = CommandRun.withModel("summary", "--adapter", dir.toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().contains("adapter_config.json: no adapter config here"), run.toString());
    }

    @Test
    void badOptionValueIsAUsageError() {
        assertEquals(DjlAdapters.USAGE, CommandRun.of("summary", "--max-length", "long").code());
    }
}

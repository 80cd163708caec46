package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DjlAdaptersTest {

    @Test
    void helpListsEveryCommandAndExitsZero() {
        CommandRun run = CommandRun.of("--help");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        for (String command : new String[] {"summary", "train", "eval", "merge", "convert", "serve"}) {
            assertTrue(run.out().contains(command), run.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"summary", "train", "eval", "merge", "convert", "serve"})
    void everyCommandHasHelp(String command) {
        CommandRun run = CommandRun.of(command, "--help");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().startsWith("Usage: djl-adapters " + command), run.toString());
    }

    @Test
    void noCommandIsAUsageError() {
        CommandRun run = CommandRun.of();
        assertEquals(DjlAdapters.USAGE, run.code(), run.toString());
        assertTrue(run.err().contains("name a command"), run.toString());
    }

    @Test
    void unknownCommandIsAUsageError() {
        CommandRun run = CommandRun.of("finetune");
        assertEquals(DjlAdapters.USAGE, run.code(), run.toString());
        assertTrue(run.err().contains("finetune"), run.toString());
    }

    @Test
    void versionPrintsAndExitsZero() {
        CommandRun run = CommandRun.of("--version");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("djl-adapters"), run.toString());
    }
}

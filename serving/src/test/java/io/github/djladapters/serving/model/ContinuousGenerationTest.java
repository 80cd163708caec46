package io.github.djladapters.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.http.TinyGpt2;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinuousGenerationTest {

    private static GenerationRequest request(String prompt, String adapter, int tokens) {
        return new GenerationRequest(prompt, adapter, tokens, 0f, 0, 1f, 0L, List.of());
    }

    @Test
    void aShortRequestJoinsARunningBatchAndLeavesBeforeTheLongOne(@TempDir Path dir) throws Exception {
        Path modelDir = dir.resolve("gpt2");
        TinyGpt2.writeModel(modelDir);
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g1"), 3);
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g2"), 4);
        GenerationRequest longOne = request("w5 w9 w17", "g1", 60);
        GenerationRequest shortOne = request("w40 w41", "g2", 3);
        GenerationRequest base = request("w7", "", 5);
        Completion longAlone;
        Completion shortAlone;
        Completion baseAlone;
        try (ServedModel grouped = ModelLoader.open(modelDir.toString(), null, RegistryOptions.DEFAULTS,
                new BatchSettings(8, 0, true), dir)) {
            longAlone = grouped.generation().generate(longOne, null).get();
            shortAlone = grouped.generation().generate(shortOne, null).get();
            baseAlone = grouped.generation().generate(base, null).get();
        }
        assertTrue(longAlone.completionTokens() > 20, "the long request runs long: " + longAlone);
        try (ServedModel model = ModelLoader.open(modelDir.toString(), null, RegistryOptions.DEFAULTS,
                new BatchSettings(8, 0), dir)) {
            List<String> finished = new CopyOnWriteArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Completion> running = model.generation().generate(longOne, text -> started.countDown());
            running.thenRun(() -> finished.add("long"));
            started.await();
            CompletableFuture<Completion> joined = model.generation().generate(shortOne, null);
            joined.thenRun(() -> finished.add("short"));
            CompletableFuture<Completion> baseRow = model.generation().generate(base, null);
            assertEquals(shortAlone, joined.get());
            assertEquals(baseAlone, baseRow.get());
            assertEquals(longAlone, running.get());
            assertEquals(List.of("short", "long"), finished, "the short request left the running batch first");
        }
    }
}

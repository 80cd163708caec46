package io.github.djladapters.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.http.TinyGpt2;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinuousGenerationTest {

    private static GenerationRequest request(String prompt, String adapter, int tokens) {
        return new GenerationRequest(prompt, adapter, tokens, 0f, 0, 1f, 0L, List.of());
    }

    /** The tiny GPT-2 folder under {@code dir} with adapters g1 and g2. */
    private static Path modelWithTwoAdapters(Path dir) throws IOException {
        Path modelDir = dir.resolve("gpt2");
        TinyGpt2.writeModel(modelDir);
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g1"), 3);
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g2"), 4);
        return modelDir;
    }

    /**
     * Opens the model: one continuous batch, or one generation loop per adapter group (each request
     * then runs without company: the reference a row in a shared batch must match).
     */
    private static ServedModel open(Path modelDir, Path cache, boolean oneLoopPerGroup) throws IOException {
        return ModelLoader.open(modelDir.toString(), null, RegistryOptions.DEFAULTS,
                new BatchSettings(8, 0, oneLoopPerGroup), cache);
    }

    @Test
    void aShortRequestJoinsARunningBatchAndLeavesBeforeTheLongOne(@TempDir Path dir) throws Exception {
        Path modelDir = modelWithTwoAdapters(dir);
        GenerationRequest longOne = request("w5 w9 w17", "g1", 60);
        GenerationRequest shortOne = request("w40 w41", "g2", 3);
        GenerationRequest base = request("w7", "", 5);
        Completion longAlone;
        Completion shortAlone;
        Completion baseAlone;
        try (ServedModel grouped = open(modelDir, dir, true)) {
            longAlone = grouped.generation().generate(longOne, null).get();
            shortAlone = grouped.generation().generate(shortOne, null).get();
            baseAlone = grouped.generation().generate(base, null).get();
        }
        assertTrue(longAlone.completionTokens() > 20, "the long request runs long: " + longAlone);
        try (ServedModel model = open(modelDir, dir, false)) {
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

    @Test
    void aRunningRowKeepsTheAdapterVersionItStartedWithWhenItsAdapterIsUpdated(@TempDir Path dir) throws Exception {
        Path modelDir = modelWithTwoAdapters(dir);
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g1-new"), 9);
        GenerationRequest longOne = request("w5 w9 w17", "g1", 40);
        GenerationRequest other = request("w3 w4", "g2", 30);
        GenerationRequest joiner = request("w40 w41", "g1", 12);
        Completion longOld;
        Completion otherAlone;
        Completion joinerOld;
        Completion joinerNew;
        try (ServedModel grouped = open(modelDir, dir, true)) {
            longOld = grouped.generation().generate(longOne, null).get();
            otherAlone = grouped.generation().generate(other, null).get();
            joinerOld = grouped.generation().generate(joiner, null).get();
            grouped.registry().update("g1", "g1-new", null, null);
            joinerNew = grouped.generation().generate(joiner, null).get();
        }
        assertTrue(!joinerOld.equals(joinerNew), "the new weights generate another text: " + joinerOld);
        try (ServedModel model = open(modelDir, dir, false)) {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch updated = new CountDownLatch(1);
            AtomicBoolean held = new AtomicBoolean();
            // the worker thread waits in the long row's sink between two steps (holding no lock) until the update is in
            CompletableFuture<Completion> running = model.generation().generate(longOne, text -> {
                started.countDown();
                if (!held.getAndSet(true)) {
                    await(updated);
                }
            });
            CompletableFuture<Completion> otherRow = model.generation().generate(other, null);
            started.await();
            model.registry().update("g1", "g1-new", null, null);
            CompletableFuture<Completion> joined = model.generation().generate(joiner, null);
            updated.countDown();
            assertEquals(joinerNew, joined.get(), "a row that joins after the update runs the new version");
            assertEquals(longOld, running.get(), "the running row keeps the version it started with");
            assertEquals(otherAlone, otherRow.get(), "a row of another adapter is not disturbed");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.github.djladapters.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.models.kernels.TorchKernels;
import io.github.djladapters.serving.http.TinyGpt2;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A continuous batch of the tiny Llama fixture (4 heads over 2 key/value heads, one with a LoRA
 * adapter) generates the same completions with grouped-query attention as query rows per key/value
 * head as with {@code enable_gqa} ({@link TorchKernels#setGroupedQueryRows}).
 */
class GroupedQueryRowsServingTest {

    @AfterEach
    void switchBack() {
        TorchKernels.setGroupedQueryRows(true);
    }

    @Test
    void aContinuousBatchGeneratesTheSameTextsWithQueryRows(@TempDir Path dir) throws Exception {
        Path llama = dir.resolve("llama");
        TinyGpt2.writeModel(TinyGpt2.LLAMA, llama);
        TinyGpt2.writeLlamaLora(llama, llama.resolve("adapters/l1"), 5);
        List<Completion> rows = generate(llama, dir, true);
        List<Completion> gqa = generate(llama, dir, false);
        assertEquals(gqa, rows);
        assertTrue(rows.get(0).completionTokens() > 5, "the requests generate: " + rows);
    }

    private static List<Completion> generate(Path llama, Path cache, boolean queryRows) throws Exception {
        TorchKernels.setGroupedQueryRows(queryRows);
        List<GenerationRequest> requests = List.of(
                new GenerationRequest("w5 w9 w17", "l1", 12, 0f, 0, 1f, 0L, List.of()),
                new GenerationRequest("w3", "", 9, 0f, 0, 1f, 0L, List.of()),
                new GenerationRequest("w40 w41 w2 w8", "", 7, 0f, 0, 1f, 0L, List.of()));
        try (ServedModel model = ModelLoader.open(llama.toString(), null, RegistryOptions.DEFAULTS,
                new BatchSettings(8, 0, false), cache)) {
            List<CompletableFuture<Completion>> running = new ArrayList<>();
            for (GenerationRequest request : requests) {
                running.add(model.generation().generate(request, null));
            }
            List<Completion> done = new ArrayList<>();
            for (CompletableFuture<Completion> future : running) {
                done.add(future.get());
            }
            return done;
        }
    }
}

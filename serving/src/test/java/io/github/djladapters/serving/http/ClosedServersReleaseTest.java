package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.ModelLoader;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.TinyBert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a model and its server, serving mixed-adapter requests and closing both leaves nothing
 * behind: after a warm-up round (which loads what lives for the process: the engine, the TorchScript
 * kernels, compiled code), further rounds leave as many live arrays, managers, TorchScript values
 * and threads as the warm-up did, no tokenizer per round, and no entries in static maps.
 */
class ClosedServersReleaseTest {

    private static final int ROUNDS = 4;
    private static final String TOKENIZER = "ai.djl.huggingface.tokenizers.HuggingFaceTokenizer";
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    @Test
    void roundsOfOpenServeCloseLeaveNoArraysManagersOrThreads() throws Exception {
        Path bertAdapters = dir.resolve("bert-adapters");
        TinyBert.writeLora(bertAdapters.resolve("a1"), 1, 16);
        TinyBert.writeLora(bertAdapters.resolve("a2"), 2, 16);
        Path gpt2 = dir.resolve("gpt2");
        TinyGpt2.writeModel(gpt2);
        TinyGpt2.writeLora(gpt2, gpt2.resolve("adapters/g1"), 3);
        TinyGpt2.writeLora(gpt2, gpt2.resolve("adapters/g2"), 4);
        Path llama = dir.resolve("llama");
        TinyGpt2.writeModel(TinyGpt2.LLAMA, llama);
        TinyGpt2.writeLlamaLora(llama, llama.resolve("adapters/l1"), 5);

        List<ProcessFootprint> after = new ArrayList<>();
        for (int round = 0; round <= ROUNDS; round++) {
            serveAndClose(bertAdapters, gpt2, llama);
            after.add(ProcessFootprint.now());
            System.out.println("round " + round + ": " + after.get(round));
        }
        ProcessFootprint warm = after.get(0);
        ProcessFootprint last = after.get(ROUNDS);
        for (String type : ProcessFootprint.NATIVE_HOLDERS) {
            if (!type.equals(TOKENIZER)) {
                assertEquals(warm.live(type), last.live(type), "live " + type + " after " + ROUNDS + " more rounds");
            }
        }
        // a closed tokenizer may stay reachable for a while (the JDK's and Jetty's recent objects), a
        // few at a time; one kept per round would add ROUNDS
        assertTrue(last.live(TOKENIZER) - warm.live(TOKENIZER) < ROUNDS, "live tokenizers " + warm.live(TOKENIZER)
                + " after the warm-up, " + last.live(TOKENIZER) + " after " + ROUNDS + " more rounds");
        assertEquals(serverSide(warm.threads()), serverSide(last.threads()),
                "live threads by name (the JDK's HTTP client threads and process reaper, the tests' own, left out)");
        assertTrue(last.transposedWeights() <= warm.transposedWeights(), "weights followed by TransposedStorage: "
                + warm.transposedWeights() + " after the warm-up, " + last.transposedWeights() + " at the end");
    }

    /**
     * Threads by name without the JDK HTTP clients' workers and the JDK's process reaper, which their
     * pools start and stop as they like (a reaper left by a child process ends after a minute idle).
     */
    private static Map<String, Integer> serverSide(Map<String, Integer> threads) {
        Map<String, Integer> kept = new TreeMap<>(threads);
        kept.keySet().removeIf(name -> name.startsWith("HttpClient-") || name.equals("process reaper"));
        return kept;
    }

    private static void serveAndClose(Path bertAdapters, Path gpt2, Path llama) throws Exception {
        try (TestServer bert = new TestServer(bertAdapters, dir.resolve("cache"))) {
            TestServer.Reply reply = bert.inference("POST", "/invocations",
                    "{\"inputs\": [\"great value\", \"fine\", \"it broke\"], \"adapters\": [\"a1\", \"a2\", \"\"]}");
            assertEquals(200, reply.status(), reply.body());
        }
        for (Path decoder : List.of(gpt2, llama)) {
            try (ServedModel model = ModelLoader.open(decoder.toString(), null, RegistryOptions.DEFAULTS,
                    new BatchSettings(8, 0), dir);
                    ServingServer server = ServingServer.start(model, ServerOptions.ephemeral())) {
                List<String> adapters = decoder == gpt2 ? List.of("g1", "g2", "") : List.of("l1", "", "");
                String body = Exchange.JSON.writeValueAsString(Map.of("inputs", List.of("w5 w9 w17", "w3", "w40 w41"),
                        "adapters", adapters, "parameters", Map.of("max_new_tokens", 6)));
                HttpResponse<String> reply = CLIENT.send(HttpRequest.newBuilder(URI.create("http://"
                        + server.inferenceAddress() + "/invocations")).POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, reply.statusCode(), reply.body());
            }
        }
    }
}

package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.TinyBert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceApiTest {

    static final List<String> TEXTS = List.of("the service was quick", "a long and rather tedious film about nothing",
            "great value", "I would not buy it again");

    @TempDir
    static Path root;

    @TempDir
    static Path cache;

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 1; i <= 3; i++) {
            TinyBert.writeLora(root.resolve("a" + i), 100 + i, 16);
        }
        // a long wait so that concurrent requests surely meet in one batch
        server = new TestServer(root, cache, RegistryOptions.DEFAULTS, new BatchSettings(16, 300), ServerOptions.ephemeral());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static float[] vector(JsonNode node) {
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) node.get(i).asDouble();
        }
        return v;
    }

    private static String json(Object value) throws Exception {
        return Exchange.JSON.writeValueAsString(value);
    }

    private float[] alone(String text, String adapter) throws Exception {
        TestServer.Reply reply = server.inference("POST", "/invocations", json(java.util.Map.of("inputs", text)),
                InferenceApi.ADAPTER_HEADER, adapter.isEmpty() ? "" : adapter);
        assertEquals(200, reply.status(), reply.body());
        return vector(reply.json());
    }

    @Test
    void batchOfThreeAdaptersAndTheBaseEqualsEachRunAlone() throws Exception {
        List<String> adapters = List.of("a1", "a2", "a3", "");
        TestServer.Reply reply = server.inference("POST", "/invocations",
                json(java.util.Map.of("inputs", TEXTS, "adapters", adapters)));
        assertEquals(200, reply.status(), reply.body());
        JsonNode rows = reply.json();
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            float[] inBatch = vector(rows.get(i));
            float[] single = alone(TEXTS.get(i), adapters.get(i));
            assertTrue(TinyBert.maxDiff(inBatch, single) < 1e-5, "row " + i + ": " + TinyBert.maxDiff(inBatch, single));
            if (i < 3) {
                assertTrue(TinyBert.maxDiff(single, alone(TEXTS.get(i), "")) > 1e-3, "adapter " + adapters.get(i) + " has no effect");
            }
        }
    }

    @Test
    void baseEmbeddingIsTheMeanPooledUnitVectorOfTheModel() throws Exception {
        float[] served = alone(TEXTS.get(1), "");
        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cache, 64)) {
            NDList inputs = tokenizer.encode(List.of(TEXTS.get(1)), manager);
            float[] hidden = server.model.registry().run(List.of(""), f -> TinyBert.values(f.forward(inputs).head()));
            int tokens = (int) inputs.head().getShape().get(1);
            int width = hidden.length / tokens;
            double[] mean = new double[width];
            for (int t = 0; t < tokens; t++) {
                for (int d = 0; d < width; d++) {
                    mean[d] += hidden[t * width + d] / tokens;
                }
            }
            double norm = Math.sqrt(java.util.Arrays.stream(mean).map(x -> x * x).sum());
            float[] expected = new float[width];
            for (int d = 0; d < width; d++) {
                expected[d] = (float) (mean[d] / norm);
            }
            assertTrue(TinyBert.maxDiff(expected, served) < 1e-5, "max diff " + TinyBert.maxDiff(expected, served));
        }
    }

    @Test
    void adapterFromHeaderWinsOverBodyAndQuery() throws Exception {
        float[] a2 = alone(TEXTS.get(0), "a2");
        String body = json(java.util.Map.of("inputs", List.of(TEXTS.get(0)), "adapters", List.of("a1")));
        TestServer.Reply byHeader = server.inference("POST", "/predictions/" + TestServer.MODEL + "?adapter=a3", body,
                InferenceApi.ADAPTER_HEADER, "a2");
        assertTrue(TinyBert.maxDiff(a2, vector(byHeader.json().get(0))) < 1e-6);
        TestServer.Reply byQuery = server.inference("POST", "/invocations?adapter=a2",
                json(java.util.Map.of("inputs", List.of(TEXTS.get(0)))));
        assertTrue(TinyBert.maxDiff(a2, vector(byQuery.json().get(0))) < 1e-6);
        TestServer.Reply byBodyString = server.inference("POST", "/invocations?adapter=a3",
                json(java.util.Map.of("inputs", List.of(TEXTS.get(0)), "adapters", "a2")));
        assertTrue(TinyBert.maxDiff(a2, vector(byBodyString.json().get(0))) < 1e-6);
    }

    @Test
    void inferenceErrorsUseDjlServingTexts() throws Exception {
        TestServer.Reply count = server.inference("POST", "/invocations",
                json(java.util.Map.of("inputs", TEXTS, "adapters", List.of("a1"))));
        assertEquals(400, count.status());
        assertEquals("Number of adapters is not equal to the number of inputs", count.json().get("message").asText());
        TestServer.Reply unknown = server.inference("POST", "/invocations",
                json(java.util.Map.of("inputs", TEXTS.subList(0, 2), "adapters", List.of("a1", "zz"))));
        assertEquals(424, unknown.status(), unknown.body());
        assertEquals("Adapter zz is not registered", unknown.json().get("message").asText());
        assertEquals(404, server.inference("POST", "/predictions/nope", json(java.util.Map.of("inputs", "x"))).status());
        assertEquals(405, server.inference("GET", "/invocations", null).status());
        assertEquals(400, server.inference("POST", "/invocations", "{not json").status());
        assertEquals(400, server.inference("POST", "/invocations", "{}").status());
    }

    @Test
    void concurrentRequestsForDifferentAdaptersShareOneForward() throws Exception {
        double batchesBefore = metric("djl_adapters_batch_size_count");
        List<String> adapters = List.of("a1", "a2", "a3", "");
        List<CompletableFuture<TestServer.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String body = json(java.util.Map.of("inputs", List.of(TEXTS.get(i)), "adapters", List.of(adapters.get(i))));
            replies.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return server.inference("POST", "/invocations", body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < 4; i++) {
            TestServer.Reply reply = replies.get(i).join();
            assertEquals(200, reply.status(), reply.body());
            float[] expected = alone(TEXTS.get(i), adapters.get(i));
            assertTrue(TinyBert.maxDiff(expected, vector(reply.json().get(0))) < 1e-5);
        }
        double batches = metric("djl_adapters_batch_size_count") - batchesBefore - 4; // minus the 4 alone runs
        assertTrue(batches >= 1 && batches < 4, "4 concurrent requests took " + batches + " forwards");
    }

    @Test
    void openAiEmbeddingsAndModels() throws Exception {
        TestServer.Reply reply = server.inference("POST", "/v1/embeddings",
                json(java.util.Map.of("model", "a1", "input", List.of(TEXTS.get(2), TEXTS.get(3)))));
        assertEquals(200, reply.status(), reply.body());
        JsonNode body = reply.json();
        assertEquals("list", body.get("object").asText());
        assertEquals("a1", body.get("model").asText());
        assertEquals(1, body.get("data").get(1).get("index").asInt());
        assertTrue(TinyBert.maxDiff(alone(TEXTS.get(3), "a1"), vector(body.get("data").get(1).get("embedding"))) < 1e-5);
        assertTrue(body.get("usage").get("prompt_tokens").asInt() > 4);

        TestServer.Reply base = server.inference("POST", "/v1/embeddings",
                json(java.util.Map.of("model", TestServer.MODEL, "input", TEXTS.get(2))));
        assertTrue(TinyBert.maxDiff(alone(TEXTS.get(2), ""), vector(base.json().get("data").get(0).get("embedding"))) < 1e-5);

        TestServer.Reply missing = server.inference("POST", "/v1/embeddings", json(java.util.Map.of("model", "x", "input", "hi")));
        assertEquals(404, missing.status());
        assertEquals("The model `x` does not exist.", missing.json().get("message").asText());
        assertEquals("NotFoundError", missing.json().get("type").asText());

        JsonNode models = server.inference("GET", "/v1/models", null).json().get("data");
        assertEquals(TestServer.MODEL, models.get(0).get("id").asText());
        assertTrue(models.get(0).get("parent").isNull());
        List<String> ids = new ArrayList<>();
        models.forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of(TestServer.MODEL, "a1", "a2", "a3"), ids);
        assertEquals(TestServer.MODEL, models.get(1).get("parent").asText());
    }

    @Test
    void pingAndMetrics() throws Exception {
        assertEquals("Healthy", server.inference("GET", "/ping", null).json().get("status").asText());
        String series = "djl_adapters_requests_total{adapter=\"a2\",endpoint=\"/v1/embeddings\",status=\"200\"}";
        double before = metricOrZero(series);
        // each request is counted before its response is completed: read right after it, with no retry
        for (int i = 1; i <= 30; i++) {
            server.inference("POST", "/v1/embeddings", json(java.util.Map.of("model", "a2", "input", "hi")));
            assertEquals(before + i, metric(series), "after request " + i);
        }
        TestServer.Reply metrics = server.inference("GET", "/metrics", null);
        assertTrue(metrics.contentType().startsWith("text/plain"), metrics.contentType());
        assertEquals(3, metric("djl_adapters_resident_adapters"));
        assertTrue(metrics.body().contains("djl_adapters_request_duration_seconds_bucket"));
        assertTrue(metrics.body().contains("djl_adapters_evictions_total 0"));
    }

    /** The value of one series, read once. */
    private static double metric(String series) throws Exception {
        String body = server.inference("GET", "/metrics", null).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in\n" + body);
        }
        return Double.parseDouble(m.group(1));
    }

    private static double metricOrZero(String series) throws Exception {
        String body = server.inference("GET", "/metrics", null).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}

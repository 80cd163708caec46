package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.ModelLoader;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationApiTest {

    static final List<String> PROMPTS = List.of("w5 w9 w17", "w3", "w40 w41 w42 w43 w44", "w7 w7");

    @TempDir
    static Path dir;

    static ServedModel model;
    static ServingServer server;
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path modelDir = dir.resolve("gpt2");
        TinyGpt2.writeModel(modelDir);
        for (int i = 1; i <= 3; i++) {
            TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g" + i), 40 + i);
        }
        model = ModelLoader.open(modelDir.toString(), null, RegistryOptions.DEFAULTS, new BatchSettings(8, 20), dir);
        server = ServingServer.start(model, ServerOptions.ephemeral());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        model.close();
    }

    private static HttpResponse<String> post(String path, Object body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + server.inferenceAddress() + path))
                .POST(HttpRequest.BodyPublishers.ofString(Exchange.JSON.writeValueAsString(body)));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String generatedAlone(String prompt, String adapter) throws Exception {
        HttpResponse<String> reply = post("/invocations?adapter=" + adapter,
                Map.of("inputs", prompt, "parameters", Map.of("max_new_tokens", 8)));
        assertEquals(200, reply.statusCode(), reply.body());
        return Exchange.JSON.readTree(reply.body()).get("generated_text").asText();
    }

    @Test
    void batchOfThreeAdaptersAndTheBaseEqualsEachRunAlone() throws Exception {
        List<String> adapters = List.of("g1", "g2", "g3", "");
        HttpResponse<String> reply = post("/invocations", Map.of("inputs", PROMPTS, "adapters", adapters,
                "parameters", Map.of("max_new_tokens", 8)));
        assertEquals(200, reply.statusCode(), reply.body());
        JsonNode outputs = Exchange.JSON.readTree(reply.body());
        int differing = 0;
        for (int i = 0; i < 4; i++) {
            String inBatch = outputs.get(i).get("generated_text").asText();
            assertEquals(generatedAlone(PROMPTS.get(i), adapters.get(i)), inBatch, "row " + i);
            assertTrue(inBatch.matches("(w\\d+)( w\\d+)*"), inBatch);
            differing += i < 3 && !inBatch.equals(generatedAlone(PROMPTS.get(i), "")) ? 1 : 0;
        }
        assertTrue(differing >= 2, "adapters change the generated text");
    }

    private static List<String> completionTexts(Map<String, Object> body) throws Exception {
        HttpResponse<String> reply = post("/v1/completions", body);
        assertEquals(200, reply.statusCode(), reply.body());
        JsonNode json = Exchange.JSON.readTree(reply.body());
        assertEquals("text_completion", json.get("object").asText());
        assertTrue(json.get("usage").get("completion_tokens").asInt() > 0);
        List<String> texts = new ArrayList<>();
        json.get("choices").forEach(c -> texts.add(c.get("text").asText()));
        return texts;
    }

    private static String streamedText(Map<String, Object> body) throws Exception {
        HttpResponse<String> reply = post("/v1/completions", body);
        assertEquals(200, reply.statusCode(), reply.body());
        assertTrue(reply.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = reply.body().lines().filter(l -> !l.isEmpty()).toList();
        assertTrue(events.stream().allMatch(l -> l.startsWith("data: ")), reply.body());
        assertEquals("data: [DONE]", events.get(events.size() - 1));
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String event : events.subList(0, events.size() - 1)) {
            JsonNode choice = Exchange.JSON.readTree(event.substring(6)).get("choices").get(0);
            text.append(choice.get("text").asText());
            finish = choice.get("finish_reason").isNull() ? finish : choice.get("finish_reason").asText();
        }
        assertTrue(events.size() > 3, "tokens arrive as separate events: " + events);
        assertTrue("length".equals(finish) || "stop".equals(finish), reply.body());
        return text.toString();
    }

    @Test
    void streamingReturnsTheSameTextAsNotStreaming() throws Exception {
        for (Map<String, Object> sampling : List.<Map<String, Object>>of(Map.of("temperature", 0),
                Map.of("temperature", 0.9, "top_p", 0.9, "seed", 7))) {
            Map<String, Object> body = new java.util.HashMap<>(sampling);
            body.putAll(Map.of("model", "g2", "prompt", PROMPTS.get(0), "max_tokens", 10));
            String whole = completionTexts(body).get(0);
            body.put("stream", true);
            assertEquals(whole, streamedText(body), "sampling " + sampling);
        }
    }

    @Test
    void stopStringsCutTheText() throws Exception {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("model", "g1", "prompt", PROMPTS.get(2),
                "max_tokens", 10, "temperature", 0));
        String whole = completionTexts(body).get(0);
        String[] words = whole.split(" ");
        assertTrue(words.length >= 3, whole);
        body.put("stop", words[2]);
        String cut = completionTexts(body).get(0);
        assertEquals(whole.substring(0, whole.indexOf(words[2])), cut);
        body.put("stream", true);
        assertEquals(cut, streamedText(body));
    }

    @Test
    void completionErrorsAndModels() throws Exception {
        HttpResponse<String> missing = post("/v1/completions", Map.of("model", "nope", "prompt", "w1"));
        assertEquals(404, missing.statusCode());
        assertEquals("The model `nope` does not exist.", Exchange.JSON.readTree(missing.body()).get("message").asText());
        assertEquals(400, post("/v1/completions", Map.of("prompt", "w1", "max_tokens", 0)).statusCode());
        assertEquals(400, post("/v1/embeddings", Map.of("input", "w1")).statusCode());
        HttpResponse<String> noTemplate = post("/v1/chat/completions", Map.of("model", "g1",
                "messages", List.of(Map.of("role", "user", "content", "w1"))));
        assertEquals(400, noTemplate.statusCode());
        JsonNode error = Exchange.JSON.readTree(noTemplate.body());
        assertEquals("error", error.get("object").asText());
        assertTrue(error.get("message").asText().startsWith("The model `" + model.name() + "` has no chat template"),
                noTemplate.body());
        List<String> base = completionTexts(Map.of("model", "gpt2", "prompt", List.of("w3", "w4"), "max_tokens", 4,
                "temperature", 0));
        assertEquals(2, base.size());
        assertNotEquals("", base.get(0));
    }

    @Test
    void aWorkflowChainsTwoAdapters() throws Exception {
        java.nio.file.Path file = dir.resolve("chain.json");
        java.nio.file.Files.writeString(file, """
                {"name": "chain", "version": "0.1", "models": {"m": "gpt2"},
                 "configs": {"adapters": {"g1": {"model": "m", "src": "g1"}, "g2": {"model": "m", "src": "g2"}}},
                 "workflow": {"first": ["adapter", "g1", "in"], "out": ["adapter", "g2", "first"]}}""");
        model.addWorkflow(io.github.djladapters.serving.model.Workflow.read(file, model));
        HttpResponse<String> reply = post("/predictions/chain", Map.of("inputs", PROMPTS.get(0),
                "parameters", Map.of("max_new_tokens", 4)));
        assertEquals(200, reply.statusCode(), reply.body());
        String first = Exchange.JSON.readTree(post("/invocations?adapter=g1", Map.of("inputs", PROMPTS.get(0),
                "parameters", Map.of("max_new_tokens", 4))).body()).get("generated_text").asText();
        String second = Exchange.JSON.readTree(post("/invocations?adapter=g2", Map.of("inputs", first,
                "parameters", Map.of("max_new_tokens", 4))).body()).get("generated_text").asText();
        assertEquals(second, Exchange.JSON.readTree(reply.body()).get("generated_text").asText());
    }
}

package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny GPT-2 with Llama 2's chat template, {@code w1} as bos_token and {@code w2} as eos_token. */
class ChatCompletionsTest {

    static final Path TEMPLATES = Path.of("src", "test", "resources", "chat-templates");
    static final List<Map<String, String>> MESSAGES = List.of(Map.of("role", "system", "content", "w40 w41"),
            Map.of("role", "user", "content", " w3 w4 "));

    @TempDir
    static Path dir;

    static ServedModel model;
    static ServingServer server;
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path modelDir = dir.resolve("llama-chat");
        TinyGpt2.writeModel(modelDir);
        Files.copy(TEMPLATES.resolve("llama2/tokenizer_config.json"), modelDir.resolve("tokenizer_config.json"));
        TinyGpt2.writeLora(modelDir, modelDir.resolve("adapters/g1"), 41);
        model = ModelLoader.open(modelDir.toString(), null, RegistryOptions.DEFAULTS, new BatchSettings(8, 20), dir);
        server = ServingServer.start(model, ServerOptions.ephemeral());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        model.close();
    }

    static HttpResponse<String> post(String path, Object body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://" + server.inferenceAddress() + path))
                .POST(HttpRequest.BodyPublishers.ofString(Exchange.JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** transformers' rendering of MESSAGES with this template (chat-templates/expected.json). */
    static String renderedByTransformers() throws Exception {
        for (JsonNode c : Exchange.JSON.readTree(TEMPLATES.resolve("expected.json").toFile()).get("cases")) {
            if (c.get("template").asText().equals("llama2") && c.get("messages").size() == 2
                    && c.get("add_generation_prompt").asBoolean()) {
                return c.get("rendered").asText();
            }
        }
        throw new AssertionError("no llama2 case with two messages in expected.json");
    }

    @Test
    void chatCompletionEqualsACompletionOfTheRenderedPrompt() throws Exception {
        for (String name : List.of("g1", "llama-chat")) {
            HttpResponse<String> chat = post("/v1/chat/completions", Map.of("model", name, "messages", MESSAGES,
                    "max_completion_tokens", 8, "temperature", 0));
            assertEquals(200, chat.statusCode(), chat.body());
            JsonNode json = Exchange.JSON.readTree(chat.body());
            assertEquals("chat.completion", json.get("object").asText());
            assertEquals(name, json.get("model").asText());
            JsonNode choice = json.get("choices").get(0);
            assertEquals("assistant", choice.get("message").get("role").asText());
            HttpResponse<String> plain = post("/v1/completions", Map.of("model", name, "prompt", renderedByTransformers(),
                    "max_tokens", 8, "temperature", 0));
            JsonNode expected = Exchange.JSON.readTree(plain.body());
            assertEquals(expected.get("choices").get(0).get("text").asText(), choice.get("message").get("content").asText());
            assertEquals(expected.get("choices").get(0).get("finish_reason").asText(), choice.get("finish_reason").asText());
            assertEquals(expected.get("usage"), json.get("usage"));
            assertTrue(json.get("usage").get("prompt_tokens").asInt() > 5, chat.body());
        }
    }

    /** {@code n} choices, each its own sample: choice i is what one request with seed + i gives; greedy ones agree. */
    @Test
    void nChoicesAreSamplesOfTheirOwn() throws Exception {
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            boolean chat = path.contains("chat");
            Map<String, Object> base = new HashMap<>(chat ? Map.of("model", "g1", "messages", MESSAGES, "max_tokens", 8)
                    : Map.of("model", "g1", "prompt", "w5 w9 w17", "max_tokens", 8));
            Map<String, Object> sampled = new HashMap<>(base);
            sampled.putAll(Map.of("temperature", 1.5, "seed", 7, "n", 3));
            JsonNode three = Exchange.JSON.readTree(post(path, sampled).body());
            assertEquals(3, three.get("choices").size(), three.toString());
            int completionTokens = 0;
            for (int i = 0; i < 3; i++) {
                Map<String, Object> alone = new HashMap<>(base);
                alone.putAll(Map.of("temperature", 1.5, "seed", 7 + i));
                JsonNode single = Exchange.JSON.readTree(post(path, alone).body());
                JsonNode choice = three.get("choices").get(i);
                assertEquals(i, choice.get("index").asInt());
                assertEquals(text(single.get("choices").get(0), chat), text(choice, chat), path + " choice " + i);
                completionTokens += single.get("usage").get("completion_tokens").asInt();
                assertEquals(single.get("usage").get("prompt_tokens"), three.get("usage").get("prompt_tokens"));
            }
            assertEquals(completionTokens, three.get("usage").get("completion_tokens").asInt());
            assertTrue(!text(three.get("choices").get(0), chat).equals(text(three.get("choices").get(1), chat))
                    || !text(three.get("choices").get(1), chat).equals(text(three.get("choices").get(2), chat)),
                    "sampled choices differ: " + three);

            Map<String, Object> greedy = new HashMap<>(base);
            greedy.putAll(Map.of("temperature", 0, "n", 2));
            JsonNode two = Exchange.JSON.readTree(post(path, greedy).body());
            assertEquals(2, two.get("choices").size());
            assertEquals(text(two.get("choices").get(0), chat), text(two.get("choices").get(1), chat));

            for (Object bad : List.of(0, 1.5, "two", 129)) {
                Map<String, Object> wrong = new HashMap<>(base);
                wrong.put("n", bad);
                HttpResponse<String> refused = post(path, wrong);
                assertEquals(400, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("\\\"n\\\" must be an integer from 1 to 128"), refused.body());
            }
        }
    }

    @Test
    void streamedChoicesCarryTheirIndex() throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("model", "g1", "messages", MESSAGES, "max_tokens", 6,
                "temperature", 0.9, "seed", 3, "n", 2));
        JsonNode whole = Exchange.JSON.readTree(post("/v1/chat/completions", body).body());
        body.put("stream", true);
        List<String> events = post("/v1/chat/completions", body).body().lines().filter(l -> !l.isEmpty()).toList();
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        for (String event : events.subList(0, events.size() - 1)) {
            JsonNode streamed = Exchange.JSON.readTree(event.substring("data: ".length())).get("choices").get(0);
            texts[streamed.get("index").asInt()].append(streamed.get("delta").path("content").asText(""));
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(whole.get("choices").get(i).get("message").get("content").asText(), texts[i].toString());
        }
    }

    private static String text(JsonNode choice, boolean chat) {
        return chat ? choice.get("message").get("content").asText() : choice.get("text").asText();
    }

    @Test
    void streamingSendsTheSameTextInChunks() throws Exception {
        for (Map<String, Object> sampling : List.<Map<String, Object>>of(Map.of("temperature", 0),
                Map.of("temperature", 0.9, "top_p", 0.9, "seed", 7))) {
            Map<String, Object> body = new HashMap<>(sampling);
            body.putAll(Map.of("model", "g1", "messages", MESSAGES, "max_tokens", 10));
            HttpResponse<String> whole = post("/v1/chat/completions", body);
            JsonNode choice = Exchange.JSON.readTree(whole.body()).get("choices").get(0);
            body.put("stream", true);
            HttpResponse<String> reply = post("/v1/chat/completions", body);
            assertEquals(200, reply.statusCode(), reply.body());
            assertTrue(reply.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<String> events = reply.body().lines().filter(l -> !l.isEmpty()).toList();
            assertEquals("data: [DONE]", events.get(events.size() - 1));
            StringBuilder text = new StringBuilder();
            String finish = null;
            for (String event : events.subList(0, events.size() - 1)) {
                JsonNode chunk = Exchange.JSON.readTree(event.substring("data: ".length()));
                assertEquals("chat.completion.chunk", chunk.get("object").asText());
                JsonNode streamed = chunk.get("choices").get(0);
                text.append(streamed.get("delta").path("content").asText(""));
                finish = streamed.get("finish_reason").isNull() ? finish : streamed.get("finish_reason").asText();
            }
            assertEquals("assistant", Exchange.JSON.readTree(events.get(0).substring(6)).get("choices").get(0)
                    .get("delta").get("role").asText());
            assertTrue(events.size() > 4, "tokens arrive as separate chunks: " + events);
            assertEquals(choice.get("message").get("content").asText(), text.toString(), "sampling " + sampling);
            assertEquals(choice.get("finish_reason").asText(), finish);
        }
    }

    @Test
    void badConversationsAreRefused() throws Exception {
        HttpResponse<String> reply = post("/v1/chat/completions", Map.of("messages",
                List.of(Map.of("role", "assistant", "content", "w1"))));
        assertEquals(400, reply.statusCode(), reply.body());
        JsonNode error = Exchange.JSON.readTree(reply.body());
        assertEquals("error", error.get("object").asText());
        assertEquals("chat template: Conversation roles must alternate user/assistant/user/assistant/...",
                error.get("message").asText());
        assertEquals(400, post("/v1/chat/completions", Map.of("messages", List.of())).statusCode());
        assertEquals(400, post("/v1/chat/completions", Map.of("messages",
                List.of(Map.of("role", "user", "content", List.of(Map.of("type", "image_url")))))).statusCode());
        assertEquals(404, post("/v1/chat/completions", Map.of("model", "nope", "messages", MESSAGES)).statusCode());
    }
}

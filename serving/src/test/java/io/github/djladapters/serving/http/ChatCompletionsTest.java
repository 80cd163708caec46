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

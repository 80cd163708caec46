package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.ChatTemplate;
import io.github.djladapters.serving.model.Completion;
import io.github.djladapters.serving.model.GenerationRequest;
import io.github.djladapters.serving.model.ServedModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * OpenAI's {@code POST /v1/chat/completions}: the messages are rendered into a prompt by the model's
 * chat template ({@link ChatTemplate}) and generated from as {@code /v1/completions} does, with the
 * {@code model} field naming the base model or an adapter; {@code "stream": true} sends
 * {@code chat.completion.chunk} events and {@code data: [DONE]}.
 */
final class ChatCompletionsApi {

    private final ServedModel model;
    private final Function<String, String> adapterOf;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();

    /**
     * The endpoint over a model.
     *
     * @param model the served model
     * @param adapterOf the adapter a {@code model} field names ({@code ""} for the base model); throws 404
     */
    ChatCompletionsApi(ServedModel model, Function<String, String> adapterOf) {
        this.model = model;
        this.adapterOf = adapterOf;
    }

    void handle(Exchange exchange) throws Exception {
        exchange.label("/v1/chat/completions", "");
        ApiRouter.requireMethod(exchange, "POST");
        JsonNode body = exchange.jsonBody();
        String name = body.path("model").asText(model.name());
        String adapter = adapterOf.apply(name);
        exchange.label("/v1/chat/completions", adapter);
        if (model.generation() == null) {
            throw ApiException.badRequest("The model `" + model.name() + "` does not generate text.");
        }
        ChatTemplate template = model.chatTemplate();
        if (template == null) {
            throw ApiException.badRequest("The model `" + model.name() + "` has no chat template (no chat_template in its"
                    + " tokenizer_config.json and no chat_template.jinja); use /v1/completions with a prompt.");
        }
        String prompt = template.render(messages(body.get("messages")), true);
        List<GenerationRequest> requests = GenerationParameters.choices(body,
                GenerationParameters.openAiChat(body, prompt, adapter));
        String id = "chatcmpl-" + created + "-" + ids.incrementAndGet();
        if (body.path("stream").asBoolean(false)) {
            stream(exchange, id, name, requests);
            return;
        }
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        for (GenerationRequest request : requests) {
            futures.add(model.generation().generate(request, null, false));
        }
        List<Map<String, Object>> choices = new ArrayList<>();
        int promptTokens = 0;
        int completionTokens = 0;
        for (int i = 0; i < futures.size(); i++) {
            Completion completion = futures.get(i).get();
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", i);
            choice.put("message", Map.of("role", "assistant", "content", completion.text()));
            choice.put("logprobs", null);
            choice.put("finish_reason", completion.finishReason());
            choices.add(choice);
            promptTokens = completion.promptTokens(); // one prompt, counted once
            completionTokens += completion.completionTokens();
        }
        Map<String, Object> response = envelope(id, "chat.completion", name, choices);
        response.put("usage", Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens,
                "total_tokens", promptTokens + completionTokens));
        exchange.sendAnswer(200, response);
    }

    /** A streamed piece of choice {@code index}: text, or its end ({@code finish} or {@code error} set). */
    private record Piece(int index, String text, String finish, Throwable error) {}

    private void stream(Exchange exchange, String id, String name, List<GenerationRequest> requests) throws Exception {
        BlockingQueue<Piece> pieces = new LinkedBlockingQueue<>();
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            model.generation().generate(requests.get(i), text -> pieces.add(new Piece(index, text, null, null)), false)
                    .whenComplete((completion, error) -> pieces.add(error != null ? new Piece(index, "", null, error)
                            : new Piece(index, "", completion.finishReason(), null)));
        }
        exchange.startEvents();
        for (int i = 0; i < requests.size(); i++) {
            exchange.sendEvent(chunk(id, name, i, Map.of("role", "assistant", "content", ""), null), false);
        }
        int open = requests.size();
        while (open > 0) {
            Piece piece = pieces.take();
            if (piece.error() != null) {
                ApiException error = ApiRouter.asApiError(piece.error());
                exchange.sendEvent(Exchange.JSON.writeValueAsString(Map.of("error", Map.of("message", error.getMessage(),
                        "type", error.type(), "code", error.status()))), false);
                open--;
            } else if (piece.finish() != null) {
                exchange.sendEvent(chunk(id, name, piece.index(), Map.of(), piece.finish()), false);
                open--;
            } else {
                exchange.sendEvent(chunk(id, name, piece.index(), Map.of("content", piece.text()), null), false);
            }
        }
        exchange.sendEvent("[DONE]", true);
    }

    private String chunk(String id, String name, int index, Map<String, Object> delta, String finish) throws Exception {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", index);
        choice.put("delta", delta);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        return Exchange.JSON.writeValueAsString(envelope(id, "chat.completion.chunk", name, List.of(choice)));
    }

    private Map<String, Object> envelope(String id, String object, String name, List<Map<String, Object>> choices) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", name);
        body.put("choices", choices);
        return body;
    }

    /**
     * The template's {@code messages}: each with a string {@code role} and a {@code content} that is a
     * string, null, or a list of {@code {"type": "text", "text": ...}} parts (joined); other fields kept.
     */
    private static List<Map<String, Object>> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiException.badRequest("\"messages\" must be a non-empty list of {\"role\", \"content\"} objects");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode message = node.get(i);
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw ApiException.badRequest("messages[" + i + "] must be an object with a string \"role\"");
            }
            Map<String, Object> map = Exchange.JSON.convertValue(message, Exchange.JSON.getTypeFactory()
                    .constructMapType(LinkedHashMap.class, String.class, Object.class));
            map.put("content", content(message.get("content"), i));
            messages.add(map);
        }
        return messages;
    }

    private static String content(JsonNode content, int index) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest("messages[" + index + "].content: only parts of type \"text\" are"
                            + " supported, got " + part);
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiException.badRequest("messages[" + index + "].content must be a string or a list of text parts");
    }
}

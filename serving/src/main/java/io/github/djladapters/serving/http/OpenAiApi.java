package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.Completion;
import io.github.djladapters.serving.model.Embeddings;
import io.github.djladapters.serving.model.GenerationRequest;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.AdapterInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OpenAI-style endpoints, where the {@code model} field names the base model or an adapter (the
 * convention of vLLM and LoRAX): {@code GET /v1/models}, {@code POST /v1/embeddings} and
 * {@code POST /v1/completions} (with {@code "stream": true} as server-sent events), and
 * {@code POST /v1/chat/completions} through {@link ChatCompletionsApi}.
 */
final class OpenAiApi {

    private final ServedModel model;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();
    private final ChatCompletionsApi chat;

    OpenAiApi(ServedModel model) {
        this.model = model;
        this.chat = new ChatCompletionsApi(model, this::adapterOf);
    }

    /** Handles a request; false when no route matches its path. */
    boolean handle(Exchange exchange) throws Exception {
        List<String> path = exchange.segments();
        if (path.size() == 3 && path.get(0).equals("v1") && path.get(1).equals("chat") && path.get(2).equals("completions")) {
            chat.handle(exchange);
            return true;
        }
        if (path.size() != 2 || !path.get(0).equals("v1")) {
            return false;
        }
        switch (path.get(1)) {
            case "models" -> models(exchange);
            case "embeddings" -> embeddings(exchange);
            case "completions" -> completions(exchange);
            default -> {
                return false;
            }
        }
        return true;
    }

    private void models(Exchange exchange) throws Exception {
        exchange.label("/v1/models", "");
        ApiRouter.requireMethod(exchange, "GET");
        List<Map<String, Object>> data = new ArrayList<>();
        data.add(card(model.name(), model.source(), null));
        for (AdapterInfo adapter : model.registry().adapters()) {
            data.add(card(adapter.name(), adapter.src(), model.name()));
        }
        exchange.sendJson(200, Map.of("object", "list", "data", data));
    }

    private Map<String, Object> card(String id, String root, String parent) {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("id", id);
        card.put("object", "model");
        card.put("created", created);
        card.put("owned_by", "djl-adapters");
        card.put("root", root);
        card.put("parent", parent);
        return card;
    }

    private void embeddings(Exchange exchange) throws Exception {
        exchange.label("/v1/embeddings", "");
        ApiRouter.requireMethod(exchange, "POST");
        JsonNode body = exchange.jsonBody();
        String name = body.path("model").asText(model.name());
        String adapter = adapterOf(name);
        exchange.label("/v1/embeddings", adapter);
        if (model.embeddings() == null) {
            throw ApiException.badRequest("The model `" + model.name() + "` does not compute embeddings.");
        }
        List<String> inputs = inputs(body.get("input"));
        Embeddings result = model.embeddings().embed(inputs, Collections.nCopies(inputs.size(), adapter)).get();
        List<Map<String, Object>> data = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("object", "embedding");
            item.put("index", i);
            item.put("embedding", result.vectors()[i]);
            data.add(item);
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("object", "list");
        response.put("data", data);
        response.put("model", name);
        response.put("usage", Map.of("prompt_tokens", result.totalTokens(), "total_tokens", result.totalTokens()));
        exchange.sendAnswer(200, response);
    }

    private void completions(Exchange exchange) throws Exception {
        exchange.label("/v1/completions", "");
        ApiRouter.requireMethod(exchange, "POST");
        JsonNode body = exchange.jsonBody();
        String name = body.path("model").asText(model.name());
        String adapter = adapterOf(name);
        exchange.label("/v1/completions", adapter);
        if (model.generation() == null) {
            throw ApiException.badRequest("The model `" + model.name() + "` does not generate text.");
        }
        List<String> prompts = inputs(body.get("prompt"));
        List<GenerationRequest> requests = new ArrayList<>(); // choice index = prompt * n + sample, as OpenAI orders them
        for (String prompt : prompts) {
            requests.addAll(GenerationParameters.choices(body, GenerationParameters.openAi(body, prompt, adapter)));
        }
        String id = "cmpl-" + created + "-" + ids.incrementAndGet();
        if (body.path("stream").asBoolean(false)) {
            stream(exchange, id, name, requests);
            return;
        }
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        for (GenerationRequest request : requests) {
            futures.add(model.generation().generate(request, null));
        }
        List<Map<String, Object>> choices = new ArrayList<>();
        int promptTokens = 0;
        int completionTokens = 0;
        int n = requests.size() / prompts.size();
        for (int i = 0; i < futures.size(); i++) {
            Completion completion = futures.get(i).get();
            choices.add(choice(i, completion.text(), completion.finishReason()));
            if (i % n == 0) {
                promptTokens += completion.promptTokens(); // each prompt counts once, as OpenAI's usage does
            }
            completionTokens += completion.completionTokens();
        }
        Map<String, Object> response = completionBody(id, name, choices);
        response.put("usage", Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens,
                "total_tokens", promptTokens + completionTokens));
        exchange.sendAnswer(200, response);
    }

    /** A piece of streamed text of one prompt; {@code finish} or {@code error} set on its last. */
    private record Piece(int index, String text, String finish, Throwable error) {}

    private void stream(Exchange exchange, String id, String name, List<GenerationRequest> requests) throws Exception {
        BlockingQueue<Piece> pieces = new LinkedBlockingQueue<>();
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            model.generation().generate(requests.get(i), text -> pieces.add(new Piece(index, text, null, null)))
                    .whenComplete((completion, error) -> pieces.add(error != null ? new Piece(index, "", null, error)
                            : new Piece(index, "", completion.finishReason(), null)));
        }
        exchange.startEvents();
        int open = requests.size();
        while (open > 0) {
            Piece piece = pieces.take();
            if (piece.error() != null) {
                ApiException error = ApiRouter.asApiError(piece.error());
                exchange.sendEvent(Exchange.JSON.writeValueAsString(Map.of("error", Map.of("message", error.getMessage(),
                        "type", error.type(), "code", error.status()))), false);
                open--;
                continue;
            }
            if (piece.finish() != null) {
                open--;
            }
            exchange.sendEvent(Exchange.JSON.writeValueAsString(
                    completionBody(id, name, List.of(choice(piece.index(), piece.text(), piece.finish())))), false);
        }
        exchange.sendEvent("[DONE]", true);
    }

    private Map<String, Object> completionBody(String id, String name, List<Map<String, Object>> choices) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", "text_completion");
        body.put("created", created);
        body.put("model", name);
        body.put("choices", choices);
        return body;
    }

    private static Map<String, Object> choice(int index, String text, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", index);
        choice.put("text", text);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        return choice;
    }

    /** The adapter a {@code model} field names: {@code ""} for the base model. */
    private String adapterOf(String name) {
        if (model.isNamed(name)) {
            return "";
        }
        if (model.registry().contains(name)) {
            return name;
        }
        throw new ApiException(404, "NotFoundError", "The model `" + name + "` does not exist.");
    }

    private static List<String> inputs(JsonNode input) {
        if (input != null && input.isTextual()) {
            return List.of(input.asText());
        }
        if (input == null || !input.isArray() || input.isEmpty()) {
            throw ApiException.badRequest("\"input\" and \"prompt\" must be a string or a non-empty list of strings");
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode item : input) {
            if (!item.isTextual()) {
                throw ApiException.badRequest("\"input\" and \"prompt\" must be a string or a non-empty list of strings"
                        + " (token ids are not accepted)");
            }
            texts.add(item.asText());
        }
        return texts;
    }
}

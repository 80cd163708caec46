package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.model.Embeddings;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.AdapterInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI-style endpoints, where the {@code model} field names the base model or an adapter (the
 * convention of vLLM and LoRAX): {@code GET /v1/models} and {@code POST /v1/embeddings}.
 */
final class OpenAiApi {

    private final ServedModel model;
    private final long created = System.currentTimeMillis() / 1000;

    OpenAiApi(ServedModel model, ServingMetrics metrics) {
        this.model = model;
    }

    /** Handles a request; false when no route matches its path. */
    boolean handle(Exchange exchange) throws Exception {
        List<String> path = exchange.segments();
        if (path.size() != 2 || !path.get(0).equals("v1")) {
            return false;
        }
        switch (path.get(1)) {
            case "models" -> models(exchange);
            case "embeddings" -> embeddings(exchange);
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
        exchange.sendJson(200, response);
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
            throw ApiException.badRequest("\"input\" must be a string or a non-empty list of strings");
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode item : input) {
            if (!item.isTextual()) {
                throw ApiException.badRequest("\"input\" must be a string or a non-empty list of strings (token ids are not accepted)");
            }
            texts.add(item.asText());
        }
        return texts;
    }
}

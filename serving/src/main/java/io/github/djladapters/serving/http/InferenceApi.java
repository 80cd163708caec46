package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.Completion;
import io.github.djladapters.serving.model.Embeddings;
import io.github.djladapters.serving.model.ServedModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * DJL Serving's inference calls: {@code POST /invocations} and {@code POST /predictions/{m}} with
 * {@code {"inputs": ..., "adapters": ..., "parameters": {...}}}. The adapter of each input comes from
 * the {@code X-Amzn-SageMaker-Adapter-Identifier} header (which wins), else the body's
 * {@code adapters} (one per input, {@code ""} for the base model, or one string for all), else the
 * {@code ?adapter=} query parameter. An encoder answers with one embedding per input; a decoder with
 * {@code {"generated_text": ...}} per input, sampling as {@code parameters} says.
 */
final class InferenceApi {

    /** SageMaker's per-request adapter header. */
    static final String ADAPTER_HEADER = "X-Amzn-SageMaker-Adapter-Identifier";

    private final ServedModel model;

    InferenceApi(ServedModel model) {
        this.model = model;
    }

    /** Handles a request; false when no route matches its path. */
    boolean handle(Exchange exchange) throws Exception {
        List<String> path = exchange.segments();
        if (path.size() == 1 && path.get(0).equals("invocations")) {
            exchange.label("/invocations", "");
        } else if (path.size() == 2 && path.get(0).equals("predictions") && model.workflow(path.get(1)) != null) {
            exchange.label("/predictions/{workflow}", path.get(1));
            ApiRouter.requireMethod(exchange, "POST");
            JsonNode body = exchange.jsonBody();
            JsonNode inputsNode = body.get("inputs");
            List<String> inputs = texts(inputsNode);
            Object out = model.workflow(path.get(1)).run(model, inputs, body.path("parameters"),
                    (prompt, adapter, parameters) -> GenerationParameters.djl(parameters, prompt, adapter));
            if (model.generation() == null) { // per input an embedding, or a saved classifier's labels
                List<?> rows = (List<?>) out;
                exchange.sendAnswer(200, inputsNode.isTextual() ? rows.get(0) : rows);
            } else {
                List<Map<String, String>> outputs = new ArrayList<>();
                ((List<?>) out).forEach(text -> outputs.add(Map.of("generated_text", String.valueOf(text))));
                exchange.sendAnswer(200, inputsNode.isTextual() ? outputs.get(0) : outputs);
            }
            return true;
        } else if (path.size() == 2 && path.get(0).equals("predictions")) {
            exchange.label("/predictions/{m}", "");
            if (!model.isNamed(path.get(1))) {
                throw new ApiException(404, "ModelNotFoundException", "Model not found: " + path.get(1));
            }
        } else {
            return false;
        }
        ApiRouter.requireMethod(exchange, "POST");
        JsonNode body = exchange.jsonBody();
        JsonNode inputsNode = body.get("inputs");
        boolean single = inputsNode != null && inputsNode.isTextual();
        List<String> inputs = texts(inputsNode);
        List<String> adapters = adapters(exchange, body, inputs.size());
        java.util.Set<String> distinct = new java.util.LinkedHashSet<>(adapters);
        exchange.label(exchange.endpoint(), distinct.size() == 1 ? distinct.iterator().next() : "mixed");
        if (model.generation() != null) {
            JsonNode parameters = body.path("parameters");
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                futures.add(model.generation()
                        .generate(GenerationParameters.djl(parameters, inputs.get(i), adapters.get(i)), null));
            }
            List<Map<String, String>> outputs = new ArrayList<>();
            for (CompletableFuture<Completion> future : futures) {
                outputs.add(Map.of("generated_text", future.get().text()));
            }
            exchange.sendAnswer(200, single ? outputs.get(0) : outputs);
            return true;
        }
        Embeddings result = model.embeddings().embed(inputs, adapters).get();
        List<Object> outputs = result.rowOutputs();
        exchange.sendAnswer(200, single ? outputs.get(0) : outputs);
        return true;
    }

    private static List<String> texts(JsonNode inputs) {
        if (inputs == null || inputs.isNull()) {
            throw ApiException.badRequest("Missing \"inputs\" in the request body");
        }
        if (inputs.isTextual()) {
            return List.of(inputs.asText());
        }
        if (!inputs.isArray() || inputs.isEmpty()) {
            throw ApiException.badRequest("\"inputs\" must be a string or a non-empty list of strings");
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode input : inputs) {
            if (!input.isTextual()) {
                throw ApiException.badRequest("\"inputs\" must be a string or a non-empty list of strings");
            }
            texts.add(input.asText());
        }
        return texts;
    }

    private static List<String> adapters(Exchange exchange, JsonNode body, int inputs) {
        String header = exchange.header(ADAPTER_HEADER);
        if (header != null && !header.isEmpty()) {
            return Collections.nCopies(inputs, header);
        }
        JsonNode adapters = body.get("adapters");
        if (adapters != null && !adapters.isNull()) {
            if (adapters.isTextual()) {
                return Collections.nCopies(inputs, adapters.asText());
            }
            if (!adapters.isArray()) {
                throw ApiException.badRequest("\"adapters\" must be a string or a list of strings");
            }
            if (adapters.size() != inputs) {
                throw ApiException.badRequest("Number of adapters is not equal to the number of inputs");
            }
            List<String> names = new ArrayList<>();
            adapters.forEach(a -> names.add(a.asText()));
            return names;
        }
        String query = exchange.query("adapter");
        return Collections.nCopies(inputs, query == null ? "" : query);
    }
}

package io.github.djladapters.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.GenerationRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads sampling settings in the two request shapes: OpenAI's completion and chat fields ({@code max_tokens},
 * {@code temperature} default 1, {@code top_p}, vLLM's {@code top_k}, {@code seed}, {@code stop}) and
 * DJL Serving's {@code parameters} ({@code max_new_tokens}, {@code do_sample} default false,
 * {@code temperature}, {@code top_k}, {@code top_p}, {@code seed}, {@code stop}).
 */
final class GenerationParameters {

    private GenerationParameters() {}

    static GenerationRequest openAi(JsonNode body, String prompt, String adapter) {
        float temperature = (float) number(body, "temperature", 1.0);
        return request(prompt, adapter, (int) number(body, "max_tokens", 16), temperature, body);
    }

    /** OpenAI's chat fields: {@code max_completion_tokens} (or the older {@code max_tokens}), default 16. */
    static GenerationRequest openAiChat(JsonNode body, String prompt, String adapter) {
        float temperature = (float) number(body, "temperature", 1.0);
        String maxField = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        return request(prompt, adapter, (int) number(body, maxField, 16), temperature, body);
    }

    /** The most choices one request may ask for with {@code n}. */
    static final int MAX_CHOICES = 128;

    /**
     * OpenAI's {@code n}: how many choices to generate for each prompt (default 1), each its own
     * sample as vLLM draws them; choice {@code i} samples with {@code seed + i}, so with a seed every
     * choice is reproducible and with greedy decoding all are the same text.
     *
     * @param body the request body
     * @param first the request of choice 0
     * @return {@code n} requests, choice 0 first
     * @throws ApiException (400) naming {@code n} when it is not an integer from 1 to {@value #MAX_CHOICES}
     */
    static List<GenerationRequest> choices(JsonNode body, GenerationRequest first) {
        JsonNode value = body.get("n");
        int n = 1;
        if (value != null && !value.isNull()) {
            if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > MAX_CHOICES) {
                throw ApiException.badRequest("\"n\" must be an integer from 1 to " + MAX_CHOICES + ", got " + value);
            }
            n = value.asInt();
        }
        List<GenerationRequest> choices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            choices.add(new GenerationRequest(first.prompt(), first.adapter(), first.maxNewTokens(), first.temperature(),
                    first.topK(), first.topP(), first.seed() + i, first.stop()));
        }
        return choices;
    }

    static GenerationRequest djl(JsonNode parameters, String prompt, String adapter) {
        boolean sample = parameters.path("do_sample").asBoolean(false);
        float temperature = sample ? (float) number(parameters, "temperature", 1.0) : 0f;
        return request(prompt, adapter, (int) number(parameters, "max_new_tokens", 30), temperature, parameters);
    }

    private static GenerationRequest request(String prompt, String adapter, int maxTokens, float temperature, JsonNode node) {
        int topK = (int) number(node, "top_k", 0);
        float topP = (float) number(node, "top_p", 1.0);
        long seed = node.hasNonNull("seed") ? node.get("seed").asLong() : System.nanoTime();
        try {
            return new GenerationRequest(prompt, adapter, maxTokens, temperature, Math.max(0, topK), topP, seed, stop(node));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static double number(JsonNode node, String field, double fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw ApiException.badRequest("\"" + field + "\" must be a number, got " + value);
        }
        return value.asDouble();
    }

    private static List<String> stop(JsonNode node) {
        JsonNode stop = node.get("stop");
        List<String> strings = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return strings;
        }
        if (stop.isTextual()) {
            strings.add(stop.asText());
        } else if (stop.isArray()) {
            stop.forEach(s -> strings.add(s.asText()));
        } else {
            throw ApiException.badRequest("\"stop\" must be a string or a list of strings");
        }
        strings.removeIf(String::isEmpty);
        return strings;
    }
}

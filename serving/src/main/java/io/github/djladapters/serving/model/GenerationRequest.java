package io.github.djladapters.serving.model;

import io.github.djladapters.models.generation.GenerationConfig;
import java.util.List;
import java.util.Set;

/**
 * What one prompt asks of the generation service.
 *
 * @param prompt the prompt's text
 * @param adapter the adapter, {@code ""} for the base model
 * @param maxNewTokens the most tokens to generate
 * @param temperature 0 for greedy decoding, else the sampling temperature
 * @param topK keep only the most likely {@code topK} tokens when sampling; 0 keeps all
 * @param topP nucleus sampling threshold in (0, 1]
 * @param seed the sampling seed
 * @param stop strings that end the text (not included in it)
 */
public record GenerationRequest(String prompt, String adapter, int maxNewTokens, float temperature, int topK, float topP,
        long seed, List<String> stop) {

    /** Checks the values. */
    public GenerationRequest {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxNewTokens);
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must not be negative, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must not be negative, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        stop = List.copyOf(stop);
    }

    /**
     * The generator's settings for this request.
     *
     * @param stopTokens the model's end-of-sequence tokens
     * @param padTokenId the token fed for padding
     * @return the config
     */
    GenerationConfig config(Set<Integer> stopTokens, int padTokenId) {
        GenerationConfig config = GenerationConfig.greedy(maxNewTokens).withStopTokens(stopTokens).withPadTokenId(padTokenId);
        return temperature == 0 ? config : config.withSampling(temperature, topK, topP, seed);
    }
}

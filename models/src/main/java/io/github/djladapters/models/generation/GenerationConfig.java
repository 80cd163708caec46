package io.github.djladapters.models.generation;

import java.util.Set;

/**
 * How {@link Generator} picks tokens, with the meanings of Hugging Face's {@code GenerationConfig}.
 * Start from {@link #greedy(int)} and change fields with the {@code with...} methods:
 *
 * <pre>{@code
 * GenerationConfig config = GenerationConfig.greedy(32).withSampling(0.8f, 50, 0.95f, 42L).withStopTokens(Set.of(2));
 * }</pre>
 *
 * @param maxNewTokens the most tokens generated per prompt
 * @param doSample false for greedy (argmax), true to sample
 * @param temperature divides the logits before sampling; 1 leaves them unchanged
 * @param topK keep only the {@code topK} most likely tokens when sampling; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches {@code topP};
 *     1 keeps all
 * @param seed the seed of the sampling {@link java.util.Random}
 * @param stopTokens tokens that end a sequence (included in its output), such as {@code eos_token_id}
 * @param padTokenId the token fed for left padding and for finished sequences
 * @param useCache whether to keep a {@link KeyValueCache} (false recomputes the whole sequence at
 *     every step)
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, float temperature, int topK, float topP,
        long seed, Set<Integer> stopTokens, int padTokenId, boolean useCache) {

    /** Checks the ranges. */
    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must not be negative: " + maxNewTokens);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive: " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must not be negative: " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1]: " + topP);
        }
        stopTokens = Set.copyOf(stopTokens);
    }

    /**
     * Greedy decoding with a cache, no stop tokens, padding with token 0.
     *
     * @param maxNewTokens the most tokens generated per prompt
     * @return the config
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, false, 1f, 0, 1f, 0L, Set.of(), 0, true);
    }

    /**
     * The same config, sampling.
     *
     * @param newTemperature see {@link #temperature()}
     * @param newTopK see {@link #topK()}
     * @param newTopP see {@link #topP()}
     * @param newSeed see {@link #seed()}
     * @return the new config
     */
    public GenerationConfig withSampling(float newTemperature, int newTopK, float newTopP, long newSeed) {
        return new GenerationConfig(maxNewTokens, true, newTemperature, newTopK, newTopP, newSeed, stopTokens,
                padTokenId, useCache);
    }

    /**
     * The same config with other stop tokens.
     *
     * @param tokens see {@link #stopTokens()}
     * @return the new config
     */
    public GenerationConfig withStopTokens(Set<Integer> tokens) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, seed, tokens, padTokenId,
                useCache);
    }

    /**
     * The same config with another padding token.
     *
     * @param token see {@link #padTokenId()}
     * @return the new config
     */
    public GenerationConfig withPadTokenId(int token) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, seed, stopTokens, token,
                useCache);
    }

    /**
     * The same config with or without the cache.
     *
     * @param cache see {@link #useCache()}
     * @return the new config
     */
    public GenerationConfig withCache(boolean cache) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, seed, stopTokens, padTokenId,
                cache);
    }
}

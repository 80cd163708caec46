package io.github.djladapters.serving.model;

/**
 * A generated continuation.
 *
 * @param text the generated text, cut before a stop string
 * @param promptTokens the prompt's token count
 * @param completionTokens tokens generated
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max tokens reached)
 */
public record Completion(String text, int promptTokens, int completionTokens, String finishReason) {}

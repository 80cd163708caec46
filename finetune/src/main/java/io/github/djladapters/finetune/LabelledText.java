package io.github.djladapters.finetune;

/**
 * One training or evaluation example: a text and its label.
 *
 * @param text the text to classify
 * @param label its class name, such as {@code positive}
 */
public record LabelledText(String text, String label) {}

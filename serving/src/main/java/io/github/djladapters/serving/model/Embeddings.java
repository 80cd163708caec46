package io.github.djladapters.serving.model;

import java.util.Collections;
import java.util.List;

/**
 * Sentence embeddings of some texts and, for texts whose adapter is a saved classifier, its labels.
 *
 * @param vectors one unit-length vector per text
 * @param tokens the tokens each text took (special tokens included)
 * @param classes per text, the labels with their probabilities, best first, when its adapter is a
 *     saved classifier; an empty list otherwise
 */
public record Embeddings(float[][] vectors, int[] tokens, List<List<LabelScore>> classes) {

    /**
     * Embeddings of texts none of which was classified.
     *
     * @param vectors one unit-length vector per text
     * @param tokens the tokens each text took
     */
    public Embeddings(float[][] vectors, int[] tokens) {
        this(vectors, tokens, Collections.nCopies(vectors.length, List.of()));
    }

    /**
     * One label's probability, as DJL Serving's text classification answers it.
     *
     * @param label the label
     * @param score its probability
     */
    public record LabelScore(String label, double score) {}

    /**
     * What each text is answered with, as the inference API answers it: a saved classifier's row
     * with its labels and scores, any other row with its embedding.
     *
     * @return one {@code List<LabelScore>} or {@code float[]} per text
     */
    public List<Object> rowOutputs() {
        List<Object> outputs = new java.util.ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            outputs.add(classes.get(i).isEmpty() ? vectors[i] : classes.get(i));
        }
        return outputs;
    }

    /**
     * The tokens of all texts.
     *
     * @return their sum
     */
    public int totalTokens() {
        int total = 0;
        for (int t : tokens) {
            total += t;
        }
        return total;
    }
}

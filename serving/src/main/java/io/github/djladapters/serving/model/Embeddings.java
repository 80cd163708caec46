package io.github.djladapters.serving.model;

/**
 * Sentence embeddings of some texts.
 *
 * @param vectors one unit-length vector per text
 * @param tokens the tokens each text took (special tokens included)
 */
public record Embeddings(float[][] vectors, int[] tokens) {

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

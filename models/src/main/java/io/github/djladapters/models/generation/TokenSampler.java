package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token of every row from its logits: argmax, or a draw after temperature, top-k and
 * top-p filtering in Hugging Face's order, from one seeded {@link Random}.
 */
final class TokenSampler {

    private final GenerationConfig config;
    private final Random random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    /**
     * The next token of every row.
     *
     * @param logits {@code [B, vocab]}
     * @return one token per row
     */
    int[] next(NDArray logits) {
        if (!config.doSample()) {
            return Arrays.stream(logits.argMax(-1).toLongArray()).mapToInt(Math::toIntExact).toArray();
        }
        long rows = logits.getShape().get(0);
        int vocab = Math.toIntExact(logits.getShape().get(1));
        float[] all = logits.div(config.temperature()).toFloatArray();
        int[] picks = new int[(int) rows];
        for (int r = 0; r < rows; r++) {
            picks[r] = draw(Arrays.copyOfRange(all, r * vocab, (r + 1) * vocab));
        }
        return picks;
    }

    private int draw(float[] scaled) {
        Integer[] order = new Integer[scaled.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scaled[b], scaled[a])); // most likely first, stable on ties
        int kept = config.topK() > 0 ? Math.min(config.topK(), order.length) : order.length;
        double max = scaled[order[0]];
        double[] probs = new double[kept];
        double sum = 0;
        for (int i = 0; i < kept; i++) {
            probs[i] = Math.exp(scaled[order[i]] - max);
            sum += probs[i];
        }
        if (config.topP() < 1f) { // smallest prefix whose mass reaches top_p, at least one token
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < kept) {
                cumulative += probs[nucleus] / sum;
                nucleus++;
                if (cumulative >= config.topP()) {
                    break;
                }
            }
            kept = nucleus;
            sum = 0;
            for (int i = 0; i < kept; i++) {
                sum += probs[i];
            }
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < kept; i++) {
            u -= probs[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[kept - 1];
    }
}

package io.github.djladapters.models.bench;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Random;

/** What the MiniLM benchmarks feed and train: seeded token batches and the trainable parameters. */
final class BenchInputs {

    private BenchInputs() {}

    /**
     * [CLS], seeded random word-piece ids of BERT's vocabulary, [SEP], as the Python side builds them.
     *
     * @param batch rows
     * @param tokens tokens per row
     * @param random the source of the ids
     * @return {@code [batch][tokens]} ids
     */
    static long[][] tokenIds(int batch, int tokens, Random random) {
        long[][] ids = new long[batch][tokens];
        for (long[] row : ids) {
            for (int t = 0; t < tokens; t++) {
                row[t] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + random.nextInt(30522 - 1000);
            }
        }
        return ids;
    }

    /**
     * The parameters of {@code model} that require a gradient, in the model's order.
     *
     * @param model the model
     * @return its trainable parameters
     */
    static List<Parameter> trainable(Block model) {
        return model.getParameters().values().stream().filter(Parameter::requiresGradient).toList();
    }
}

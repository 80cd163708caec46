package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import java.util.List;

/**
 * Writes PyTorch profiles (chrome traces) of two greedy generations on the {@code generate-b1}/
 * {@code generate-b8} model, one with {@code short} and one with {@code long} new tokens, so that the
 * difference of their top-level op counts divided by {@code long - short} is the number of engine
 * calls per decoded token (prefill excluded). {@code bench/peers/count_top_level_ops.py} counts them.
 * Not a unit test: run it by hand.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.DecodeCallCount batch outDir [short] [long]
 * </pre>
 */
public final class DecodeCallCount {

    private DecodeCallCount() {}

    /**
     * Writes {@code outDir/b<batch>-<tokens>.json} for both lengths.
     *
     * @param args batch, output directory, optional short (default 4) and long (default 20) token counts
     */
    public static void main(String[] args) {
        int batch = Integer.parseInt(args[0]);
        String out = args[1];
        int[] lengths = {args.length > 2 ? Integer.parseInt(args[2]) : 4, args.length > 3 ? Integer.parseInt(args[3]) : 20};
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = GenerationBenchModel.initialized(manager);
            List<int[]> prompts = GenerationBenchModel.prompts(batch, 32);
            Generator generator = new Generator(model);
            generator.generate(manager, prompts, GenerationConfig.greedy(4)); // warm-up
            for (int tokens : lengths) {
                JniUtils.startProfile(false, false, false);
                try (NDManager scope = manager.newSubManager()) {
                    generator.generate(scope, prompts, GenerationConfig.greedy(tokens));
                }
                JniUtils.stopProfile(out + "/b" + batch + "-" + tokens + ".json");
            }
        }
    }
}

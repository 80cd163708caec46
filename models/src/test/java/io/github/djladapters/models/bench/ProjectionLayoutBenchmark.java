package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.engine.TransposedStorage;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Greedy generation on the Llama-shaped model of the {@code generate-b1}/{@code generate-b8} peer
 * cases (100 M parameters, 32-token prompts, 64 new tokens) with the projection weights stored
 * transposed (the default) against the same weights in plain row-major storage, interleaved round by
 * round in one process. Prints the median CPU time of the generating thread and wall time per
 * generation, and tokens/s from the wall time. Not a unit test: run it by hand with
 * {@code -Dai.djl.pytorch.num_threads=N}.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.ProjectionLayoutBenchmark [batch] [rounds] [newTokens]
 * </pre>
 */
public final class ProjectionLayoutBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ProjectionLayoutBenchmark() {}

    /**
     * Runs both layouts and prints one line each.
     *
     * @param args optional batch (default 1), rounds (default 5), new tokens (default 64)
     */
    public static void main(String[] args) {
        GenerationBenchModel.Arguments run = GenerationBenchModel.Arguments.of(args, 5);
        int batch = run.batch();
        int rounds = run.rounds();
        int newTokens = run.newTokens();
        LlamaConfig config = GenerationBenchModel.config();
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM stored = new LlamaForCausalLM(config);
            stored.setInitializer(new NormalInitializer(0.02f), p -> true);
            stored.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
            LlamaForCausalLM plain = new LlamaForCausalLM(config);
            plain.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
            for (var p : stored.getParameters()) {
                Parameter target = plain.getParameters().get(p.getKey());
                ArrayValues.replace(target.getArray(), p.getValue().getArray());
                TransposedStorage.restore(target.getArray());
            }
            Random random = new Random(1);
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                prompts.add(random.ints(32, 3, config.vocabSize()).toArray());
            }
            GenerationConfig greedy = run.greedy();
            Generator[] generators = {new Generator(plain), new Generator(stored)};
            String[] names = {"row-major weights", "transposed storage"};
            List<int[]> reference = generators[0].generate(manager, prompts, greedy);
            for (int[] tokens : generators[1].generate(manager, prompts, greedy)) {
                if (!Arrays.equals(tokens, reference.get(0)) && batch == 1) {
                    throw new IllegalStateException("the layouts generated different tokens");
                }
            }
            long[][] cpu = new long[2][rounds];
            long[][] wall = new long[2][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int g = 0; g < 2; g++) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    try (NDManager scope = manager.newSubManager()) {
                        generators[g].generate(scope, prompts, greedy);
                    }
                    cpu[g][r] = THREADS.getCurrentThreadCpuTime() - c0;
                    wall[g][r] = System.nanoTime() - w0;
                }
            }
            System.out.printf(Locale.ROOT, "batch %d, %d new tokens, %d rounds, intra-op threads %d%n", batch, newTokens,
                    rounds, JniUtils.getNumThreads());
            for (int g = 0; g < 2; g++) {
                double wallMs = median(wall[g]) / 1e6;
                System.out.printf(Locale.ROOT, "%-20s cpu %8.1f ms, wall %8.1f ms, %6.1f tokens/s (wall)%n", names[g],
                        median(cpu[g]) / 1e6, wallMs, batch * newTokens / (wallMs / 1e3));
            }
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.llama.LlamaDecodeStep;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Greedy generation on the Llama-shaped model of the {@code generate-b1}/{@code generate-b8} peer
 * cases (100 M parameters, 32-token prompts, 64 new tokens) block by block against the fused decode
 * step ({@link LlamaDecodeStep}), the same model, interleaved round by round in one process (the order
 * alternating). Checks that both give the same tokens, then prints the median CPU time of the
 * generating thread and wall time per generation, tokens/s from each, and the median of the per-round
 * CPU-time ratios fused / blocks. Not a unit test: run it by hand with {@code -Dai.djl.pytorch.num_threads=N}.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.FusedDecodeBenchmark [batch] [rounds] [newTokens]
 * </pre>
 */
public final class FusedDecodeBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private FusedDecodeBenchmark() {}

    /**
     * Runs both forms and prints one line each.
     *
     * @param args optional batch (default 1), rounds (default 5), new tokens (default 64)
     */
    public static void main(String[] args) {
        GenerationBenchModel.Arguments run = GenerationBenchModel.Arguments.of(args, 5);
        try (NDManager manager = NDManager.newBaseManager()) {
            Generator generator = GenerationBenchModel.generator(manager);
            List<int[]> prompts = run.prompts();
            GenerationConfig greedy = run.greedy();
            String[] names = {"blocks", "fused step"};
            LlamaDecodeStep.setEnabled(false);
            List<int[]> reference = generator.generate(manager, prompts, greedy);
            LlamaDecodeStep.setEnabled(true);
            List<int[]> fused = generator.generate(manager, prompts, greedy);
            for (int i = 0; i < run.batch(); i++) {
                if (!Arrays.equals(reference.get(i), fused.get(i))) {
                    throw new IllegalStateException("row " + i + ": the fused step generated other tokens");
                }
            }
            long[][] cpu = new long[2][run.rounds()];
            long[][] wall = new long[2][run.rounds()];
            double[] ratios = new double[run.rounds()];
            for (int r = 0; r < run.rounds(); r++) {
                for (int k = 0; k < 2; k++) {
                    int g = r % 2 == 0 ? k : 1 - k;
                    LlamaDecodeStep.setEnabled(g == 1);
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    try (NDManager scope = manager.newSubManager()) {
                        generator.generate(scope, prompts, greedy);
                    }
                    cpu[g][r] = THREADS.getCurrentThreadCpuTime() - c0;
                    wall[g][r] = System.nanoTime() - w0;
                }
                ratios[r] = (double) cpu[1][r] / cpu[0][r];
            }
            LlamaDecodeStep.setEnabled(true);
            System.out.printf(Locale.ROOT, "batch %d, %d new tokens, %d rounds, intra-op threads %d%n", run.batch(),
                    run.newTokens(), run.rounds(), JniUtils.getNumThreads());
            int tokens = run.batch() * run.newTokens();
            for (int g = 0; g < 2; g++) {
                double cpuMs = median(cpu[g]) / 1e6;
                double wallMs = median(wall[g]) / 1e6;
                System.out.printf(Locale.ROOT, "%-11s cpu %8.1f ms (%6.1f tokens/s), wall %8.1f ms (%6.1f tokens/s)%n",
                        names[g], cpuMs, tokens / (cpuMs / 1e3), wallMs, tokens / (wallMs / 1e3));
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "fused / blocks, CPU time, median of per-round ratios %.3f (min %.3f, max %.3f)%n",
                    ratios[run.rounds() / 2], ratios[0], ratios[run.rounds() - 1]);
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

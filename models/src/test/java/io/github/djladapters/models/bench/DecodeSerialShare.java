package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;

/**
 * The part of a decoding step that does not use the second intra-op thread, from CPU times: greedy
 * generation on the {@code generate-b1}/{@code generate-b8} model, the process's and the generating
 * thread's CPU time per step; with the parallel work split evenly, the other threads' time is half
 * the parallel work, so (generating thread - others) is the serial part. CPU times stay meaningful on a
 * loaded machine where wall times do not. Run by hand with {@code OMP_WAIT_POLICY=PASSIVE} and
 * {@code -Dai.djl.pytorch.num_threads=2}; {@code bench/peers/decode_serial_share.py} measures the same
 * for transformers.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.DecodeSerialShare [batch] [rounds] [newTokens]
 * </pre>
 */
public final class DecodeSerialShare {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private DecodeSerialShare() {}

    /**
     * Prints one line per round.
     *
     * @param args optional batch (default 1), rounds (default 3), new tokens (default 64)
     */
    public static void main(String[] args) {
        GenerationBenchModel.Arguments run = GenerationBenchModel.Arguments.of(args, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            Generator generator = GenerationBenchModel.generator(manager);
            List<int[]> prompts = run.prompts();
            GenerationConfig greedy = run.greedy();
            generator.generate(manager, prompts, greedy);
            for (int r = 0; r < run.rounds(); r++) {
                long p0 = OS.getProcessCpuTime();
                long t0 = THREADS.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                generator.generate(manager, prompts, greedy);
                double p = (OS.getProcessCpuTime() - p0) / 1e6 / run.newTokens();
                double t = (THREADS.getCurrentThreadCpuTime() - t0) / 1e6 / run.newTokens();
                double w = (System.nanoTime() - w0) / 1e6 / run.newTokens();
                System.out.printf(Locale.ROOT, "ours b%d: per step cpu %.1f ms, main %.1f ms, other %.1f ms, "
                        + "serial (main-other) %.1f ms, wall %.1f ms%n", run.batch(), p, t, p - t, 2 * t - p, w);
            }
        }
    }
}

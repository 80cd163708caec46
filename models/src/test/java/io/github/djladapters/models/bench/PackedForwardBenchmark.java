package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.runtime.architecture.PackedLinearWeights;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * The all-MiniLM-L6-v2 inference forward (8 x 128 tokens) with its products plain and packed
 * ({@link PackedLinearWeights}), interleaved in one process on one model: each round runs both, the
 * order reversed every other round; a sample is the fastest of {@code repeats} runs; the ratio is the
 * median of per-round ratios. With one thread the samples are the calling thread's CPU time (all the
 * work), else wall time. Not a unit test: run it by hand.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.PackedForwardBenchmark [rounds] [threads] [repeats]
 * </pre>
 */
public final class PackedForwardBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PackedForwardBenchmark() {}

    /**
     * Runs the comparison.
     *
     * @param args rounds (default 20), PyTorch threads (default 1), runs per sample (default 2)
     * @throws Exception when the model cannot be read
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        boolean cpuClock = threads == 1;
        Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "djl-adapters-minilm");
        try (NDManager manager = NDManager.newBaseManager(); GradientsOff off = GradientsOff.onThisThread()) {
            BertModel model = AllMiniLmL6V2.load(manager, cacheDir);
            long[][] ids = BenchInputs.tokenIds(8, 128, new Random(42));
            System.out.printf("PyTorch %s, %d thread(s), %s time, %d rounds, fastest of %d%n",
                    Engine.getInstance().getVersion(), threads, cpuClock ? "thread CPU" : "wall", rounds, repeats);
            double[][] millis = new double[2][rounds];
            for (int round = -3; round < rounds; round++) {
                for (int i = 0; i < 2; i++) {
                    int variant = Math.floorMod(round, 2) == 0 ? i : 1 - i;
                    PackedLinearWeights.setEnabled(variant == 1);
                    double fastest = Double.MAX_VALUE;
                    for (int r = 0; r < repeats; r++) {
                        try (NDManager scope = manager.newSubManager()) {
                            NDArray input = scope.create(ids);
                            NDList in = new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                                    scope.zeros(input.getShape(), input.getDataType()));
                            long start = cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
                            model.forward(new ParameterStore(scope, false), in, false);
                            long end = cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
                            fastest = Math.min(fastest, (end - start) / 1e6);
                        }
                    }
                    if (round >= 0) {
                        millis[variant][round] = fastest;
                    }
                }
            }
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = millis[1][r] / millis[0][r];
            }
            System.out.printf("plain  median %.1f ms%npacked median %.1f ms%npacked / plain, median of rounds %.3f"
                    + " (quartiles %.3f - %.3f); packed products so far %d%n", median(millis[0]), median(millis[1]),
                    median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75), PackedLinearWeights.products());
        }
    }

    private static double median(double[] values) {
        return quantile(values, 0.5);
    }

    private static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double at = q * (sorted.length - 1);
        int low = (int) Math.floor(at);
        int high = (int) Math.ceil(at);
        return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
    }
}

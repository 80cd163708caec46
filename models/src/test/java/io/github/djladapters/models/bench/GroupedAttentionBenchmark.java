package io.github.djladapters.models.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.kernels.TorchKernels;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * The block forward's grouped-query attention in the two forms of {@code kernels.torchscript.py},
 * called as {@link TorchKernels#sdpa} calls them: {@code sdpa_masked} with {@code enable_gqa} (what
 * it ran before) and {@code sdpa_grouped_masked} (each key/value head's query heads as query rows), at
 * the shapes of the {@code generate-b1}/{@code generate-b8} Llama model (12 heads of 64 over 4
 * key/value heads): decoding one token against {@code keys} cached positions under a padding mask
 * {@code [B, 1, 1, S]}, and a prompt of {@code keys} tokens under a causal-and-padding mask
 * {@code [B, 1, T, S]}. The forms alternate call by call block by block in one process (the order
 * reversed every other round); prints the process CPU time per call (median of rounds, min - max),
 * the median of per-round ratios grouped / enable_gqa, and the largest difference between their
 * outputs. Process CPU time counts every intra-op thread, so it stays comparable on a loaded machine.
 * Run by hand with {@code -Dai.djl.pytorch.num_threads=N} and {@code OMP_WAIT_POLICY=PASSIVE}.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.GroupedAttentionBenchmark [keys] [rounds] [calls]
 * </pre>
 */
public final class GroupedAttentionBenchmark {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final long HEADS = 12;
    private static final long KV_HEADS = 4;
    private static final long HEAD_DIM = 64;

    private GroupedAttentionBenchmark() {}

    /**
     * Prints one line per case.
     *
     * @param args optional keys (default 64), rounds (default 9), calls per round and form (default 200;
     *     a tenth for prompts)
     */
    public static void main(String[] args) {
        long keys = args.length > 0 ? Long.parseLong(args[0]) : 64;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        try (NDManager manager = NDManager.newBaseManager()) { // loads the engine
            TorchKernels kernels = TorchKernels.on(Device.cpu());
            System.out.printf(Locale.ROOT, "libtorch intra-op threads %d, keys %d, rounds %d%n",
                    JniUtils.getNumThreads(), keys, rounds);
            for (long batch : new long[] {1, 8}) {
                run(kernels, manager, "decode b" + batch, batch, 1, keys, rounds, calls);
                run(kernels, manager, "prompt b" + batch, batch, keys, keys, rounds, Math.max(1, calls / 10));
            }
        }
    }

    private static void run(TorchKernels kernels, NDManager parent, String name, long batch, long length, long keys,
            int rounds, int calls) {
        try (NDManager manager = parent.newSubManager()) {
            NDArray q = manager.randomNormal(new Shape(batch, HEADS, length, HEAD_DIM));
            NDArray k = manager.randomNormal(new Shape(batch, KV_HEADS, keys, HEAD_DIM));
            NDArray v = manager.randomNormal(new Shape(batch, KV_HEADS, keys, HEAD_DIM));
            NDArray mask = mask(manager, batch, length, keys);
            IValue[] gqa = {tensor(q), tensor(k), tensor(v), tensor(mask), IValue.from(0.0), IValue.from(false),
                IValue.from(0.125), IValue.from(true)};
            IValue[] grouped = {tensor(q), tensor(k), tensor(v), tensor(mask), IValue.from(0.0), IValue.from(0.125)};
            try {
                double difference = difference(kernels, manager, gqa, grouped);
                double[][] perCall = new double[2][rounds];
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    boolean gqaFirst = r % 2 == 0;
                    perCall[gqaFirst ? 0 : 1][r] = time(kernels, gqaFirst ? "sdpa_masked" : "sdpa_grouped_masked",
                            gqaFirst ? gqa : grouped, calls);
                    perCall[gqaFirst ? 1 : 0][r] = time(kernels, gqaFirst ? "sdpa_grouped_masked" : "sdpa_masked",
                            gqaFirst ? grouped : gqa, calls);
                    ratios[r] = perCall[1][r] / perCall[0][r];
                }
                System.out.printf(Locale.ROOT,
                        "%-10s enable_gqa %s us  grouped rows %s us  ratio %.2f  max|diff| %.1e%n", name,
                        summary(perCall[0]), summary(perCall[1]), median(ratios), difference);
            } finally {
                for (IValue value : gqa) {
                    value.close();
                }
                for (IValue value : grouped) {
                    value.close();
                }
            }
        }
    }

    /** Padding on the first two positions of row 0; for a prompt, also causal. */
    private static NDArray mask(NDManager manager, long batch, long length, long keys) {
        float[] values = new float[(int) (batch * length * keys)];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                for (int s = 0; s < keys; s++) {
                    boolean hidden = b == 0 && s < 2 || s > keys - length + t;
                    values[(int) ((b * length + t) * keys + s)] = hidden ? -3.4028234663852886e38f : 0f;
                }
            }
        }
        return manager.create(values, new Shape(batch, 1, length, keys)).duplicate();
    }

    private static double difference(TorchKernels kernels, NDManager manager, IValue[] gqa, IValue[] grouped) {
        try (IValue a = kernels.call("sdpa_masked", gqa); IValue b = kernels.call("sdpa_grouped_masked", grouped)) {
            NDArray x = a.toTensor((ai.djl.pytorch.engine.PtNDManager) manager);
            NDArray y = b.toTensor((ai.djl.pytorch.engine.PtNDManager) manager);
            return x.sub(y).abs().max().getFloat();
        }
    }

    /** Process CPU microseconds per call, after one warm-up call. */
    private static double time(TorchKernels kernels, String method, IValue[] args, int calls) {
        kernels.call(method, args).close();
        long start = OS.getProcessCpuTime();
        for (int i = 0; i < calls; i++) {
            kernels.call(method, args).close();
        }
        return (OS.getProcessCpuTime() - start) / 1e3 / calls;
    }

    private static IValue tensor(NDArray array) {
        return IValue.from((PtNDArray) array);
    }

    private static String summary(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%7.1f (%.1f - %.1f)", median(values), sorted[0], sorted[sorted.length - 1]);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

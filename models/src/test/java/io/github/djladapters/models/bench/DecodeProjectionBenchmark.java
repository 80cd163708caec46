package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Per-call time of the forms a decoder's projection can take at decode shapes ({@code [B, 1, in]}
 * times a weight {@code [out, in]}), all forms interleaved in one process: DJL's {@code linear} on the
 * 3-D input and on a 2-D view, {@code matmul} with the transposed weight as a view and as a contiguous
 * copy, and the matrix-vector product with the weight on the left. Prints the median over rounds of
 * the thread's CPU time and the wall time per call. Not a unit test: run it by hand.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -cp ... io.github.djladapters.models.bench.DecodeProjectionBenchmark [rounds] [calls] [batch]
 * </pre>
 */
public final class DecodeProjectionBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private DecodeProjectionBenchmark() {}

    /**
     * Runs every form on every shape and prints one line per shape and form.
     *
     * @param args optional rounds (default 7), calls per round (default 200) and one batch size (default:
     *     1 and 8)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int[][] shapes = {{768, 768}, {768, 256}, {768, 2048}, {2048, 768}, {768, 1280}, {768, 4096}, {768, 32000}};
        try (NDManager manager = NDManager.newBaseManager()) {
            System.out.printf("intra-op threads %d, inter-op %d%n", JniUtils.getNumThreads(),
                    JniUtils.getNumInteropThreads());
            int[] batches = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {1, 8};
            for (int batch : batches) {
                for (int[] s : shapes) {
                    measure(manager, batch, s[0], s[1], rounds, calls);
                }
            }
        }
    }

    private static void measure(NDManager parent, int batch, int in, int out, int rounds, int calls) {
        try (NDManager m = parent.newSubManager()) {
            NDArray weight = m.randomNormal(0, 0.02f, new Shape(out, in), ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray transposed = m.create(weight.transpose().toFloatArray(), new Shape(in, out)); // [in, out] contiguous
            NDArray x3 = m.randomNormal(new Shape(batch, 1, in));
            NDArray x2 = x3.reshape(batch, in);
            String[] names = {"linear 3-D", "linear 2-D", "matmul W^T view", "matmul [in,out] contiguous",
                "linear [in,out]^T view", "W matmul x^T"};
            @SuppressWarnings("unchecked")
            Supplier<NDArray>[] forms = new Supplier[] {
                () -> Linear.linear(x3, weight).head(),
                () -> Linear.linear(x2, weight).head(),
                () -> x2.matMul(weight.transpose()),
                () -> x2.matMul(transposed),
                () -> Linear.linear(x2, transposed.transpose()).head(),
                () -> weight.matMul(x2.transpose())
            };
            NDArray reference = forms[0].get().reshape(batch, out);
            for (Supplier<NDArray> form : forms) {
                NDArray result = form.get();
                NDArray asRows = result.getShape().get(0) == out ? result.transpose() : result.reshape(batch, out);
                float diff = asRows.sub(reference).abs().max().getFloat();
                if (diff > 1e-4f) {
                    throw new IllegalStateException("a form differs by " + diff);
                }
            }
            long[][] cpu = new long[forms.length][rounds];
            long[][] wall = new long[forms.length][rounds];
            for (int r = -1; r < rounds; r++) {
                for (int f = 0; f < forms.length; f++) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        try (NDManager scope = m.newSubManager()) {
                            NDArray result = forms[f].get();
                            result.attach(scope);
                        }
                    }
                    if (r >= 0) {
                        cpu[f][r] = (THREADS.getCurrentThreadCpuTime() - c0) / calls;
                        wall[f][r] = (System.nanoTime() - w0) / calls;
                    }
                }
            }
            for (int f = 0; f < forms.length; f++) {
                System.out.printf(Locale.ROOT, "batch %d, [%d] -> [%d], %-28s cpu %7.1f us, wall %7.1f us%n", batch, in,
                        out, names[f], median(cpu[f]) / 1e3, median(wall[f]) / 1e3);
            }
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

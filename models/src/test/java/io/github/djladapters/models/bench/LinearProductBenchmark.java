package io.github.djladapters.models.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.kernels.TorchKernels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The inference products of all-MiniLM-L6-v2's forward ({@code [1024, 384] x [384, 384]^T},
 * {@code x [1536, 384]^T}, {@code [1024, 1536] x [384, 1536]^T}) through the GEMM paths that libtorch
 * offers: DJL's {@code Linear.linear} (matmul, then the bias in place), {@code torch.linear},
 * {@code addmm}, MKL's packed {@code _mkl_linear} (the weight packed once by
 * {@code _mkl_reorder_linear_weight}), oneDNN's {@code _linear_pointwise} on the plain weight and on a
 * weight reordered once ({@code mkldnn._reorder_linear_weight}), and for the intermediate product with
 * GELU fused as oneDNN's post-op. Paths run interleaved in one process, order reversed every other
 * round; with one thread the samples are the calling thread's CPU time, else wall time. Not a unit
 * test: run it by hand.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.LinearProductBenchmark [rounds] [threads]
 * </pre>
 */
public final class LinearProductBenchmark {

    private static final String SOURCE = """
            class GemmPaths(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def forward(self: __torch__.GemmPaths,
                x: Tensor) -> Tensor:
                return x
              def linear(self: __torch__.GemmPaths,
                x: Tensor,
                w: Tensor,
                b: Tensor) -> Tensor:
                return torch.linear(x, w, b)
              def addmm(self: __torch__.GemmPaths,
                x: Tensor,
                w: Tensor,
                b: Tensor) -> Tensor:
                return torch.addmm(b, x, torch.t(w))
              def mkl_pack(self: __torch__.GemmPaths,
                w: Tensor,
                batch: int) -> Tensor:
                return ops.mkl._mkl_reorder_linear_weight(w, batch)
              def mkl_linear(self: __torch__.GemmPaths,
                x: Tensor,
                packed: Tensor,
                w: Tensor,
                b: Tensor,
                batch: int) -> Tensor:
                return ops.mkl._mkl_linear(x, packed, w, b, batch)
              def dnn_pack(self: __torch__.GemmPaths,
                w: Tensor,
                batch: int) -> Tensor:
                return ops.mkldnn._reorder_linear_weight(w, batch)
              def dnn_linear(self: __torch__.GemmPaths,
                x: Tensor,
                w: Tensor,
                b: Tensor,
                attr: str) -> Tensor:
                return ops.mkldnn._linear_pointwise(x, w, b, attr, annotate(List[Optional[number]], []), "none")
              def linear_gelu(self: __torch__.GemmPaths,
                x: Tensor,
                w: Tensor,
                b: Tensor) -> Tensor:
                return torch.gelu(torch.linear(x, w, b))
            """;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private LinearProductBenchmark() {}

    /**
     * Runs the comparison.
     *
     * @param args rounds (default 30), PyTorch threads (default 1)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        boolean cpuClock = threads == 1;
        System.out.printf("PyTorch %s, %d thread(s), %s time%n", Engine.getInstance().getVersion(), threads,
                cpuClock ? "thread CPU" : "wall");
        JniUtils.setGradMode(false);
        TorchKernels paths = TorchKernels.compile(Device.cpu(), "GemmPaths", SOURCE, "GemmPaths");
        long rows = 1024;
        long[][] shapes = {{384, 384}, {384, 1536}, {1536, 384}};
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(7);
            for (long[] shape : shapes) {
                long in = shape[0];
                long out = shape[1];
                NDArray x = manager.randomNormal(new Shape(8, rows / 8, in));
                NDArray w = manager.randomNormal(new Shape(out, in)).mul(0.05f);
                NDArray b = manager.randomNormal(new Shape(out));
                IValue xi = TorchKernels.tensor(x);
                IValue wi = TorchKernels.tensor(w);
                IValue bi = TorchKernels.tensor(b);
                IValue batch = IValue.from(rows);
                Map<String, Supplier<NDArray>> cases = new LinkedHashMap<>();
                cases.put("djl Linear.linear", () -> Linear.linear(x, w, b).head());
                cases.put("torch.linear", () -> call(paths, manager, "linear", xi, wi, bi));
                IValue flat = TorchKernels.tensor(x.reshape(rows, in));
                cases.put("addmm (2-D)", () -> call(paths, manager, "addmm", flat, wi, bi));
                try {
                    NDArray packed = call(paths, manager, "mkl_pack", wi, batch);
                    IValue pi = TorchKernels.tensor(packed);
                    cases.put("mkl packed", () -> call(paths, manager, "mkl_linear", xi, pi, wi, bi, batch));
                } catch (RuntimeException e) {
                    System.out.println("mkl packed: " + e.getMessage().lines().findFirst().orElse(""));
                }
                try {
                    IValue none = IValue.from("none");
                    cases.put("onednn plain", () -> call(paths, manager, "dnn_linear", xi, wi, bi, none));
                    NDArray packed = call(paths, manager, "dnn_pack", wi, batch);
                    IValue pi = TorchKernels.tensor(packed);
                    cases.put("onednn packed", () -> call(paths, manager, "dnn_linear", xi, pi, bi, none));
                    if (out == 1536) {
                        IValue gelu = IValue.from("gelu");
                        cases.put("linear+gelu", () -> call(paths, manager, "linear_gelu", xi, wi, bi));
                        cases.put("onednn packed gelu", () -> call(paths, manager, "dnn_linear", xi, pi, bi, gelu));
                    }
                } catch (RuntimeException e) {
                    System.out.println("onednn: " + e.getMessage().lines().findFirst().orElse(""));
                }
                NDArray reference = Linear.linear(x, w, b).head();
                List<String> names = new ArrayList<>(cases.keySet());
                for (String name : names) {
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray y = cases.get(name).get();
                        y.attach(scope);
                        NDArray expected = name.contains("gelu") ? reference.getNDArrayInternal().gelu() : reference;
                        float diff = y.reshape(expected.getShape()).sub(expected).abs().max().getFloat();
                        System.out.printf("  %-20s max |diff| %.2e%n", name, diff);
                    }
                }
                double[][] samples = new double[names.size()][rounds];
                for (int round = -3; round < rounds; round++) {
                    for (int i = 0; i < names.size(); i++) {
                        int c = round % 2 == 0 ? i : names.size() - 1 - i;
                        try (NDManager scope = manager.newSubManager()) {
                            long start = cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
                            NDArray y = cases.get(names.get(c)).get();
                            double ms = ((cpuClock ? THREADS.getCurrentThreadCpuTime() : System.nanoTime()) - start) / 1e6;
                            y.attach(scope);
                            if (round >= 0) {
                                samples[c][round] = ms;
                            }
                        }
                    }
                }
                System.out.printf("[%d, %d] x [%d, %d]^T%n", rows, in, out, in);
                double base = median(samples[0]);
                for (int i = 0; i < names.size(); i++) {
                    System.out.printf("  %-20s %8.3f ms  %.3f%n", names.get(i), median(samples[i]),
                            median(samples[i]) / base);
                }
            }
        }
    }

    private static NDArray call(TorchKernels paths, NDManager manager, String method, IValue... args) {
        try (IValue result = paths.call(method, args)) {
            return result.toTensor((PtNDManager) manager);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

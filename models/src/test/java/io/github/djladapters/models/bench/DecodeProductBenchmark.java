package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.kernels.TorchScriptArchive;
import io.github.djladapters.runtime.engine.TransposedStorage;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Batch-1 matrix-vector products inside TorchScript (the way the fused decode step runs them), in
 * libtorch 2.7.1: {@code linear(x [1, 1, in], W)} and {@code mv(W, x [in])}, each with the weight
 * stored transposed (what decoders keep, {@code ProjectionLayout}) and row-major. Each call of the
 * module runs {@code calls} products in a TorchScript loop, so DJL's per-call cost is out; the forms
 * are interleaved round by round; prints the median CPU time of the thread per product. Not a unit
 * test: run it by hand with {@code -Dai.djl.pytorch.num_threads=1}.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.DecodeProductBenchmark [rounds] [calls]
 * </pre>
 */
public final class DecodeProductBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final String SOURCE = String.join("\n",
            "class Bench(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.Bench,",
            "    x: Tensor) -> Tensor:",
            "    return x",
            "  def linear_loop(self: __torch__.Bench,",
            "    x: Tensor,",
            "    w: Tensor,",
            "    n: int) -> Tensor:",
            "    y = torch.linear(x, w)",
            "    y0 = y",
            "    for _0 in range(torch.sub(n, 1)):",
            "      y0 = torch.linear(x, w)",
            "    return y0",
            "  def mv_loop(self: __torch__.Bench,",
            "    x: Tensor,",
            "    w: Tensor,",
            "    n: int) -> Tensor:",
            "    y = torch.mv(w, x)",
            "    y1 = y",
            "    for _1 in range(torch.sub(n, 1)):",
            "      y1 = torch.mv(w, x)",
            "    return y1",
            "");

    private DecodeProductBenchmark() {}

    /**
     * Times the four forms at the decode shapes of the {@code generate-b1} model.
     *
     * @param args optional rounds (default 7) and products per module call (default 50)
     * @throws Exception when the module does not load
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        long[][] shapes = {{768, 768}, {768, 256}, {768, 2048}, {2048, 768}, {768, 32000}};
        String[] forms = {"linear, stored transposed", "linear, row-major", "mv, stored transposed", "mv, row-major"};
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGraphExecutorOptimize(false); // as TorchKernels runs its methods
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) Engine.getInstance().newBaseManager(),
                    new ByteArrayInputStream(TorchScriptArchive.of("Bench", SOURCE)), true, false);
            System.out.printf(Locale.ROOT, "intra-op threads %d, %d rounds of %d products; median us per product%n",
                    JniUtils.getNumThreads(), rounds, calls);
            for (long[] shape : shapes) {
                long in = shape[0];
                long out = shape[1];
                NDArray rowMajor = manager.randomNormal(new Shape(out, in));
                // [out, in] view of [in, out] storage, as decoders keep their weights (a duplicate() of a
                // transposed view keeps its strides: transposing it back would be row-major again)
                NDArray transposed = rowMajor.duplicate();
                TransposedStorage.store(transposed); // the model's own layout change (ProjectionLayout)
                NDArray x3 = manager.randomNormal(new Shape(1, 1, in));
                NDArray x1 = x3.reshape(in);
                IValue[][] inputs = {
                    {IValue.from((PtNDArray) x3), IValue.from((PtNDArray) transposed), IValue.from((long) calls)},
                    {IValue.from((PtNDArray) x3), IValue.from((PtNDArray) rowMajor), IValue.from((long) calls)},
                    {IValue.from((PtNDArray) x1), IValue.from((PtNDArray) transposed), IValue.from((long) calls)},
                    {IValue.from((PtNDArray) x1), IValue.from((PtNDArray) rowMajor), IValue.from((long) calls)}};
                String[] methods = {"linear_loop", "linear_loop", "mv_loop", "mv_loop"};
                long[][] cpu = new long[forms.length][rounds];
                for (int f = 0; f < forms.length; f++) {
                    IValueUtils.runMethod(module, methods[f], inputs[f]).close(); // warm-up
                }
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < forms.length; k++) {
                        int f = r % 2 == 0 ? k : forms.length - 1 - k;
                        long c0 = THREADS.getCurrentThreadCpuTime();
                        IValueUtils.runMethod(module, methods[f], inputs[f]).close();
                        cpu[f][r] = THREADS.getCurrentThreadCpuTime() - c0;
                    }
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%5d -> %5d:", in, out));
                for (int f = 0; f < forms.length; f++) {
                    long[] sorted = cpu[f].clone();
                    Arrays.sort(sorted);
                    line.append(String.format(Locale.ROOT, "  %s %8.1f", forms[f], sorted[rounds / 2] / 1e3 / calls));
                }
                System.out.println(line);
                for (IValue[] row : inputs) {
                    for (IValue value : row) {
                        value.close();
                    }
                }
            }
        }
    }
}

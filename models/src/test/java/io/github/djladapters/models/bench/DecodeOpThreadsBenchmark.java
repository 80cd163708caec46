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
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How much of each op of a decoded token runs on the calling thread at two intra-op threads, in
 * libtorch 2.7.1 inside TorchScript (as the fused decode step runs them), at the shapes of the
 * {@code generate-b1}/{@code generate-b8} model: the share of the process's CPU time spent on the
 * calling thread while a loop of the op runs (1.0: the op runs on one thread; 0.5: both threads do
 * equal work). CPU shares stay meaningful on a loaded machine where wall times do not. Run by hand with
 * {@code OMP_WAIT_POLICY=PASSIVE} (spinning threads would count as work) and
 * {@code -Dai.djl.pytorch.num_threads=2}; {@code bench/peers/decode_op_threads.py} measures the same in
 * PyTorch.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.DecodeOpThreadsBenchmark [batch] [keys] [name filter] [rounds]
 * </pre>
 */
public final class DecodeOpThreadsBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private static final String SOURCE = """
            class Bench(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def forward(self: __torch__.Bench,
                x: Tensor) -> Tensor:
                return x
              def linear_loop(self: __torch__.Bench,
                x: Tensor,
                w: Tensor,
                n: int) -> Tensor:
                y = torch.linear(x, w)
                for _0 in range(n):
                  y = torch.linear(x, w)
                return y
              def matmul_loop(self: __torch__.Bench,
                x: Tensor,
                w: Tensor,
                n: int) -> Tensor:
                y = torch.matmul(x, w)
                for _0 in range(n):
                  y = torch.matmul(x, w)
                return y
              def rms_loop(self: __torch__.Bench,
                x: Tensor,
                w: Tensor,
                n: int) -> Tensor:
                y = x
                for _0 in range(n):
                  _1 = torch.mean(torch.square(x), [-1], True)
                  y = torch.mul(torch.div(x, torch.sqrt(torch.add(_1, 1e-6))), w)
                return y
              def rotary_loop(self: __torch__.Bench,
                q: Tensor,
                k: Tensor,
                cos: Tensor,
                sin: Tensor,
                n: int) -> Tensor:
                y = q
                for _0 in range(n):
                  _2 = torch.cat([torch.neg(torch.narrow(q, 3, 32, 32)), torch.narrow(q, 3, 0, 32)], 3)
                  y = torch.add(torch.mul(q, cos), torch.mul(_2, sin))
                  _3 = torch.cat([torch.neg(torch.narrow(k, 3, 32, 32)), torch.narrow(k, 3, 0, 32)], 3)
                  y = torch.add(torch.mul(k, cos), torch.mul(_3, sin))
                return y
              def cache_loop(self: __torch__.Bench,
                buffer: Tensor,
                k: Tensor,
                at: int,
                n: int) -> Tensor:
                for _0 in range(n):
                  _4 = torch.copy_(torch.narrow(buffer, 2, at, 1), k)
                  _5 = torch.copy_(torch.narrow(buffer, 2, at, 1), k)
                return buffer
              def sdpa_loop(self: __torch__.Bench,
                q: Tensor,
                keys: Tensor,
                bias: Tensor,
                end: int,
                n: int) -> Tensor:
                y = q
                for _0 in range(n):
                  all_keys = torch.narrow(keys, 2, 0, end)
                  y = torch.scaled_dot_product_attention(q, all_keys, all_keys, bias, 0., False, scale=0.125, enable_gqa=True)
                return y
              def sdpa_grouped_loop(self: __torch__.Bench,
                q: Tensor,
                keys: Tensor,
                bias: Tensor,
                end: int,
                n: int) -> Tensor:
                y = q
                for _0 in range(n):
                  all_keys = torch.narrow(keys, 2, 0, end)
                  grouped = torch.reshape(q, [torch.size(q, 0), torch.size(keys, 1), -1, torch.size(q, 3)])
                  y = torch.scaled_dot_product_attention(grouped, all_keys, all_keys, bias, 0., False, scale=0.125)
                return y
              def head_wx_loop(self: __torch__.Bench,
                x: Tensor,
                w: Tensor,
                n: int) -> Tensor:
                y = torch.matmul(w, torch.transpose(x, -1, -2))
                for _0 in range(n):
                  y = torch.matmul(w, torch.transpose(x, -1, -2))
                return y
              def silu_loop(self: __torch__.Bench,
                g: Tensor,
                n: int) -> Tensor:
                y = g
                for _0 in range(n):
                  y = torch.mul(torch.mul(g, torch.sigmoid(g)), g)
                return y
              def argmax_loop(self: __torch__.Bench,
                x: Tensor,
                n: int) -> Tensor:
                y = torch.argmax(x, -1)
                for _0 in range(n):
                  y = torch.argmax(x, -1)
                return y
            """;

    private DecodeOpThreadsBenchmark() {}

    /**
     * Prints, per op, the calling thread's share of the process CPU time and the process CPU time per op.
     *
     * @param args optional batch (default 1), key length (default 64), a part of the op names to keep
     *     (default all) and rounds (default 1; the order alternates)
     * @throws Exception when the module does not load
     */
    public static void main(String[] args) throws Exception {
        long batch = args.length > 0 ? Long.parseLong(args[0]) : 1;
        long keys = args.length > 1 ? Long.parseLong(args[1]) : 64;
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGraphExecutorOptimize(false);
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) Engine.getInstance().newBaseManager(),
                    new ByteArrayInputStream(TorchScriptArchive.of("Bench", SOURCE)), true, false);
            System.out.printf(Locale.ROOT, "libtorch intra-op threads %d, batch %d, keys %d%n",
                    JniUtils.getNumThreads(), batch, keys);
            NDArray x = manager.randomNormal(new Shape(batch, 1, 768));
            NDArray g = manager.randomNormal(new Shape(batch, 1, 2048));
            List<Object[]> cases = new ArrayList<>();
            long[][] shapes = {{768, 768}, {768, 256}, {768, 2048}, {2048, 768}, {768, 32000}};
            for (long[] s : shapes) {
                NDArray in = s[0] == 2048 ? g : x;
                NDArray rowMajor = manager.randomNormal(new Shape(s[1], s[0]));
                // [out, in] view of [in, out] storage, as decoders keep their weights (a duplicate() of a
                // transposed view would keep its strides and come back row-major)
                NDArray inOut = manager.randomNormal(new Shape(s[0], s[1]));
                NDArray transposed = inOut.transpose();
                String n = s[0] + "->" + s[1];
                int reps = s[1] == 32000 ? 100 : 1500;
                cases.add(new Object[] {"W x^T stored-T " + n, "head_wx_loop", reps, in.reshape(batch, s[0]),
                    transposed});
                cases.add(new Object[] {"W x^T row-major " + n, "head_wx_loop", reps, in.reshape(batch, s[0]),
                    rowMajor});
                cases.add(new Object[] {"linear stored-T " + n, "linear_loop", reps, in, transposed});
                cases.add(new Object[] {"linear row-major " + n, "linear_loop", reps, in, rowMajor});
                cases.add(new Object[] {"matmul [in,out] " + n, "matmul_loop", reps, in, inOut});
            }
            cases.add(0, new Object[] {"rmsnorm", "rms_loop", 3000, x, manager.randomNormal(new Shape(768))});
            NDArray q = manager.randomNormal(new Shape(batch, 12, 1, 64));
            NDArray k = manager.randomNormal(new Shape(batch, 4, 1, 64));
            cases.add(new Object[] {"rotary q+k", "rotary_loop", 3000, q, k,
                manager.randomNormal(new Shape(batch, 1, 1, 64)), manager.randomNormal(new Shape(batch, 1, 1, 64))});
            NDArray buffer = manager.randomNormal(new Shape(batch, 4, keys + 32, 64));
            cases.add(new Object[] {"cache write k+v", "cache_loop", 3000, buffer, k, keys - 1});
            cases.add(new Object[] {"sdpa", "sdpa_loop", 3000, q, buffer, manager.zeros(new Shape(batch, 1, 1, keys)),
                keys});
            cases.add(new Object[] {"sdpa grouped", "sdpa_grouped_loop", 3000, q, buffer,
                manager.zeros(new Shape(batch, 1, 1, keys)), keys});
            cases.add(new Object[] {"silu*up", "silu_loop", 3000, g});
            cases.add(new Object[] {"argmax 32000", "argmax_loop", 600, manager.randomNormal(new Shape(batch, 1, 32000))});
            String only = args.length > 2 ? args[2] : "";
            int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 1;
            cases.removeIf(c -> !((String) c[0]).contains(only));
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < cases.size(); i++) {
                    time(module, cases.get(r % 2 == 0 ? i : cases.size() - 1 - i));
                }
            }
        }
    }

    private static void time(PtSymbolBlock module, Object[] c) {
        {
            {
                int reps = (Integer) c[2];
                IValue[] in = new IValue[c.length - 2];
                for (int i = 3; i < c.length; i++) {
                    in[i - 3] = c[i] instanceof NDArray a ? IValue.from((PtNDArray) a) : IValue.from((Long) c[i]);
                }
                in[in.length - 1] = IValue.from((long) reps);
                IValueUtils.runMethod(module, (String) c[1], in).close();
                long p0 = OS.getProcessCpuTime();
                long t0 = THREADS.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                IValueUtils.runMethod(module, (String) c[1], in).close();
                double p = OS.getProcessCpuTime() - p0;
                double t = THREADS.getCurrentThreadCpuTime() - t0;
                double w = System.nanoTime() - w0;
                System.out.printf(Locale.ROOT, "%-26s share %.2f  cpu %9.1f us  wall %9.1f us%n", c[0], t / p,
                        p / 1e3 / reps, w / 1e3 / reps);
                for (IValue v : in) {
                    v.close();
                }
            }
        }
    }
}

package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training-path changes of the LoRA step, one op at a time, before and after in one process, the order
 * alternating: the dropout forward at MiniLM's attention-weight and hidden-state shapes with the boolean mask
 * ({@link DropoutMask#setFloatMaskInPlace} off) and with the float mask written in place; LoRA's branch
 * (down projection, scaling, up projection) forward and backward for 12 modules at batch 8 x 128, hidden 384,
 * rank 8, with {@code B^T} as a view and as a contiguous copy ({@link LoRALayer#contiguousUpInTraining}). At one
 * and two PyTorch threads, medians of the stepping thread's and the process's CPU time
 * ({@code /proc/self/task/<tid>/schedstat}) and of the per-round ratios after / before. Run with
 * {@code OMP_WAIT_POLICY=PASSIVE} on a shared machine, so that an idle OpenMP worker burns no CPU.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp ... io.github.djladapters.models.bench.StepChangeBenchmark [rounds]
 * </pre>
 */
public final class StepChangeBenchmark {
    private static long mainTid;

    /** CPU nanoseconds of the stepping thread and of all other threads of this process. */
    private static long[] cpu() throws Exception {
        long main = 0;
        long others = 0;
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) s::iterator) {
                long tid = Long.parseLong(t.getFileName().toString());
                try {
                    long ns = Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
                    if (tid == mainTid) {
                        main += ns;
                    } else {
                        others += ns;
                    }
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended between listing and reading
                }
            }
        }
        return new long[] {main, others};
    }
    /** One measured op: before (false) or after (true) the change. */
    private interface Op {
        void run(NDManager scope, boolean after);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
    private StepChangeBenchmark() {}

    /**
     * Runs every op's comparison at one and two threads.
     *
     * @param args rounds per op and thread count (default 15)
     * @throws Exception when {@code /proc} cannot be read
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "2");
        Engine.getInstance();
        mainTid = Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray att = m.randomNormal(new Shape(8, 12, 128, 128));
            NDArray hid = m.randomNormal(new Shape(8, 128, 384));
            NDArray a = m.randomNormal(new Shape(8, 384)).mul(0.05f); a.setRequiresGradient(true);
            NDArray b = m.randomNormal(new Shape(384, 8)).mul(0.05f); b.setRequiresGradient(true);
            Map<String, Op> ops = new LinkedHashMap<>();
            ops.put("dropout [8,12,128,128] fwd", (s, after) -> { DropoutMask.setFloatMaskInPlace(after); DropoutMask.apply(att, 0.1f).close(); });
            ops.put("dropout [8,128,384] fwd", (s, after) -> { DropoutMask.setFloatMaskInPlace(after); DropoutMask.apply(hid, 0.1f).close(); });
            ops.put("LoRA branch fwd+bwd x12", (s, after) -> {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray x = hid.duplicate(); x.attach(s); x.setRequiresGradient(true);
                    NDArray loss = null;
                    for (int k = 0; k < 12; k++) {
                        NDArray down = Linear.linear(x, a).head().mul(2f);
                        NDArray up;
                        LoRALayer.contiguousUpInTraining(after);
                        up = upProjection(down, b, s, after);
                        NDArray term = up.mul(hid).sum();
                        loss = loss == null ? term : loss.add(term);
                    }
                    gc.backward(loss);
                }
                a.getGradient().subi(a.getGradient()); b.getGradient().subi(b.getGradient());
            });
            for (var e : ops.entrySet()) {
                for (int threads = 1; threads <= 2; threads++) {
                    JniUtils.setNumThreads(threads);
                    System.setProperty("ai.djl.pytorch.num_threads", "" + threads);
                    List<Double> ratioTotal = new ArrayList<>(), ratioMain = new ArrayList<>();
                    List<Double> bt = new ArrayList<>(), at = new ArrayList<>(), bm = new ArrayList<>(), am = new ArrayList<>();
                    for (int r = -3; r < reps; r++) {
                        double[][] v = new double[2][2];
                        for (int k = 0; k < 2; k++) {
                            boolean after = (k + r) % 2 == 0;
                            try (NDManager s = m.newSubManager()) {
                                long[] c0 = cpu();
                                for (int i = 0; i < 5; i++) e.getValue().run(s, after);
                                long[] c1 = cpu();
                                v[after ? 1 : 0][0] = (c1[0] - c0[0]) / 5e6; v[after ? 1 : 0][1] = (c1[0] - c0[0] + c1[1] - c0[1]) / 5e6;
                            }
                        }
                        if (r >= 0) { bm.add(v[0][0]); am.add(v[1][0]); bt.add(v[0][1]); at.add(v[1][1]);
                            ratioMain.add(v[1][0] / v[0][0]); ratioTotal.add(v[1][1] / v[0][1]); }
                    }
                    System.out.printf(Locale.ROOT, "%-28s %d thread(s): main cpu %.2f -> %.2f ms (ratio %.3f), process cpu %.2f -> %.2f ms (ratio %.3f)%n",
                        e.getKey(), threads, median(bm), median(am), median(ratioMain), median(bt), median(at), median(ratioTotal));
                }
            }
            DropoutMask.setFloatMaskInPlace(true);
            LoRALayer.contiguousUpInTraining(true);
        }
    }

    /** LoRALayer's up projection in training, either form (the same code as there, on plain arrays). */
    private static NDArray upProjection(NDArray down, NDArray b, NDManager scope, boolean contiguous) {
        if (!contiguous) {
            return Linear.linear(down, b).head();
        }
        NDArray transposed = b.transpose();
        transposed.attach(scope);
        return down.matMul(transposed.flatten().reshape(b.getShape().get(1), b.getShape().get(0)));
    }
}

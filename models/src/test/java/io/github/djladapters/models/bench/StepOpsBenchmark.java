package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.djladapters.models.kernels.AttentionKernel;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.FlatLinear;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.engine.Scalars;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Per-op CPU time of one BERT layer's training ops at the peer comparison's step shapes
 * (all-MiniLM-L6-v2, 8 x 128 tokens, hidden 384, 12 heads, intermediate 1536), forward and backward,
 * through DJL and libtorch 2.7.1, in the forms the model uses; {@code bench/peers/step_ops.py} times
 * the same ops through Python's PyTorch. Every op's inputs are fresh leaves each run (made outside the
 * timed region), so that no gradient accumulates into an earlier one; the output's gradient is a fixed
 * random tensor. Medians of this thread's CPU time (with one PyTorch thread, all the work). Variants
 * of one op run interleaved round by round, so their ratio holds on a loaded machine.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.StepOpsBenchmark [rounds] [filter]
 * </pre>
 */
public final class StepOpsBenchmark {

    private static final int B = 8;
    private static final int T = 128;
    private static final int H = 384;
    private static final int HEADS = 12;
    private static final int FF = 1536;
    private static final int R = 8;
    private static final int D = H / HEADS;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private StepOpsBenchmark() {}

    /** One op: the shapes of its inputs, which of them take a gradient, and the op itself. */
    private record Op(String name, Shape[] shapes, boolean[] grads, Function<NDList, NDArray> body) {}

    /**
     * Runs every op (or those whose name contains the filter) and prints one JSON line per op.
     *
     * @param args measured rounds (default 20), a name filter (optional)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String filter = args.length > 1 ? args[1] : "";
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (NDManager manager = NDManager.newBaseManager()) {
            List<List<Op>> groups = ops(manager);
            for (List<Op> group : groups) {
                if (group.stream().noneMatch(op -> op.name.contains(filter))) {
                    continue;
                }
                Map<String, List<Double>> samples = new LinkedHashMap<>();
                for (int round = 0; round < rounds + 2; round++) {
                    for (int i = 0; i < group.size(); i++) {
                        Op op = group.get(round % 2 == 0 ? i : group.size() - 1 - i);
                        double ms = runOnce(manager, op);
                        if (round >= 2) {
                            samples.computeIfAbsent(op.name, k -> new ArrayList<>()).add(ms);
                        }
                    }
                }
                for (Op op : group) {
                    System.out.printf(Locale.ROOT, "{\"side\":\"DJL %s\",\"op\":\"%s\",\"threads\":1,\"cpu_ms\":%.3f}%n",
                            Engine.getInstance().getVersion(), op.name, median(samples.get(op.name)));
                }
            }
        }
    }

    private static double runOnce(NDManager manager, Op op) {
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = new NDList();
            for (int i = 0; i < op.shapes.length; i++) {
                NDArray x = scope.randomNormal(op.shapes[i]);
                if (op.grads[i]) {
                    x.setRequiresGradient(true);
                }
                inputs.add(x);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // the output's shape is known only after a forward: make its gradient from a probe run
                long start = CPU.getCurrentThreadCpuTime();
                NDArray out = op.body.apply(inputs);
                long forward = CPU.getCurrentThreadCpuTime() - start;
                NDArray grad = scope.randomNormal(out.getShape());
                start = CPU.getCurrentThreadCpuTime();
                JniUtils.backward((PtNDArray) out, (PtNDArray) grad, false, false);
                long backward = CPU.getCurrentThreadCpuTime() - start;
                return (forward + backward) / 1e6;
            }
        }
    }

    private static List<List<Op>> ops(NDManager manager) {
        float scale = (float) (1 / Math.sqrt(D));
        NDArray mask = manager.zeros(new Shape(B, 1, 1, T));
        Shape x = new Shape(B, T, H);
        Shape heads = new Shape(B, HEADS, T, D);
        Shape scores = new Shape(B, HEADS, T, T);
        List<List<Op>> groups = new ArrayList<>();
        for (int[] io : new int[][] {{H, H}, {H, FF}, {FF, H}}) {
            Shape in = new Shape(B, T, io[0]);
            Shape w = new Shape(io[1], io[0]);
            Shape b = new Shape(io[1]);
            Function<NDList, NDArray> linear = l -> FlatLinear.project(l.get(0), l.get(1), l.get(2));
            Function<NDList, NDArray> flat = l -> FlatLinear.projectFlat(l.get(0), l.get(1), l.get(2));
            String name = "linear " + io[0] + "->" + io[1];
            groups.add(List.of(
                    new Op(name + " frozen", new Shape[] {in, w, b}, new boolean[] {true, false, false}, linear),
                    new Op(name + " frozen addmm", new Shape[] {in, w, b}, new boolean[] {true, false, false}, flat)));
            groups.add(List.of(
                    new Op(name + " full", new Shape[] {in, w, b}, new boolean[] {true, true, true}, linear),
                    new Op(name + " full addmm", new Shape[] {in, w, b}, new boolean[] {true, true, true}, flat)));
        }
        groups.add(List.of(new Op("q@k^T (bmm)", new Shape[] {heads, heads}, new boolean[] {true, true},
                l -> Scalars.mul(l.get(0), scale).matMul(l.get(1).transpose(0, 1, 3, 2)).addi(mask))));
        groups.add(List.of(new Op("softmax [8,12,128,128]", new Shape[] {scores}, new boolean[] {true},
                l -> l.get(0).softmax(-1))));
        groups.add(List.of(new Op("dropout 0.1 [8,12,128,128]", new Shape[] {scores}, new boolean[] {true},
                l -> Dropout.dropout(l.get(0), 0.1f, true).head()),
                new Op("dropout 0.1 [8,12,128,128] uniform mask", new Shape[] {scores}, new boolean[] {true},
                        l -> {
                            NDArray keep = l.get(0).getManager().randomUniform(0f, 1f, l.get(0).getShape()).lt(0.9f)
                                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                            return l.get(0).mul(Scalars.mul(keep, 1 / 0.9));
                        }),
                new Op("dropout 0.1 [8,12,128,128] DropoutMask", new Shape[] {scores}, new boolean[] {true},
                        l -> DropoutMask.apply(l.get(0), 0.1f))));
        groups.add(List.of(new Op("probs@v (bmm)", new Shape[] {scores, heads}, new boolean[] {true, true},
                l -> l.get(0).matMul(l.get(1)))));
        Shape[] qkv = {heads, heads, heads};
        boolean[] all3 = {true, true, true};
        groups.add(List.of(
                new Op("attention eager (qk, softmax, dropout, pv)", qkv, all3, l -> {
                    NDArray s = Scalars.mul(l.get(0), scale).matMul(l.get(1).transpose(0, 1, 3, 2)).addi(mask);
                    return Dropout.dropout(s.softmax(-1), 0.1f, true).head().matMul(l.get(2));
                }),
                new Op("attention written out, DropoutMask", qkv, all3, l -> {
                    NDArray s = Scalars.mul(l.get(0), scale).matMul(l.get(1).transpose(0, 1, 3, 2)).addi(mask);
                    return DropoutMask.apply(s.softmax(-1), 0.1f).matMul(l.get(2));
                }),
                new Op("sdpa dropout 0.1", qkv, all3,
                        l -> AttentionKernel.attend(l.get(0), l.get(1), l.get(2), mask, 0.1f, scale)),
                new Op("sdpa no dropout", qkv, all3,
                        l -> AttentionKernel.attend(l.get(0), l.get(1), l.get(2), mask, 0f, scale))));
        groups.add(List.of(new Op("head split+merge layout", new Shape[] {x}, new boolean[] {true},
                l -> AttentionHeads.split(l.get(0), HEADS).transpose(0, 2, 1, 3).reshape(B, T, H))));
        groups.add(List.of(new Op("gelu [8,128,1536]", new Shape[] {new Shape(B, T, FF)}, new boolean[] {true},
                l -> Activation.gelu(Scalars.mul(l.get(0), 1.0))),
                new Op("gelu [8,128,1536] inputs x20", new Shape[] {new Shape(B, T, FF)}, new boolean[] {true},
                        l -> Activation.gelu(Scalars.mul(l.get(0), 20.0)))));
        Shape[] ln = {x, new Shape(H), new Shape(H)};
        groups.add(List.of(
                new Op("layer norm frozen", ln, new boolean[] {true, false, false},
                        l -> LayerNorm.layerNorm(l.get(0), new Shape(H), l.get(1), l.get(2), 1e-12f).head()),
                new Op("layer norm full", ln, new boolean[] {true, true, true},
                        l -> LayerNorm.layerNorm(l.get(0), new Shape(H), l.get(1), l.get(2), 1e-12f).head())));
        groups.add(List.of(new Op("dropout 0.1 [8,128,384]", new Shape[] {x}, new boolean[] {true},
                l -> Dropout.dropout(l.get(0), 0.1f, true).head()),
                new Op("dropout 0.1 [8,128,384] DropoutMask", new Shape[] {x}, new boolean[] {true},
                        l -> DropoutMask.apply(l.get(0), 0.1f))));
        groups.add(List.of(new Op("residual add", new Shape[] {x, x}, new boolean[] {true, true},
                l -> l.get(0).add(l.get(1)))));
        Shape[] lora = {x, new Shape(R, H), new Shape(H, R), x};
        boolean[] loraGrads = {true, true, true, true};
        groups.add(List.of(
                new Op("lora branch (x A^T B^T s + base)", lora, loraGrads, l -> {
                    NDArray down = Scalars.mul(FlatLinear.project(l.get(0), l.get(1), null), 2.0);
                    return l.get(3).add(FlatLinear.project(down, l.get(2), null));
                })));
        return groups;
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The optimizer step alone over all 22.6 M parameters of all-MiniLM-L6-v2: DJL's AdamW (one
 * {@code update} per parameter, then the gradient reset the training loops did) against
 * {@link FusedAdam} in DJL ops and {@link FusedAdam} through PyTorch's fused kernel, interleaved
 * round by round in one process (the order rotates), timed in CPU time of this thread (with one
 * PyTorch thread, all the work) and in wall time (with two threads, the only honest clock), so
 * other processes on the machine move all alike.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.OptimizerBenchmark [rounds] [threads]
 * </pre>
 */
public final class OptimizerBenchmark {

    private OptimizerBenchmark() {}

    /**
     * Prints the median CPU milliseconds per step of each optimizer and their ratio.
     *
     * @param args measured rounds (default 10), PyTorch intra-op threads (default 1)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String threads = args.length > 1 ? args[1] : "1";
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = AllMiniLmL6V2.load(manager, Path.of(System.getProperty("java.io.tmpdir"),
                    "djl-adapters-minilm"));
            model.freezeParameters(false);
            List<Parameter> trainable = new ArrayList<>(model.getParameters().values());
            Optimizer djl = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-5f)).build();
            System.setProperty(FusedAdam.KERNEL_PROPERTY, "false");
            FusedAdam inOps = FusedAdam.adamW(trainable, manager, 1e-5f);
            System.setProperty(FusedAdam.KERNEL_PROPERTY, "true");
            FusedAdam kernel = FusedAdam.adamW(trainable, manager, 1e-5f);
            if (inOps.fused() || !kernel.fused()) {
                throw new IllegalStateException("the two FusedAdam paths were not selected");
            }
            String[] names = {"djl_adamw", "fused_adamw_djl_ops", "fused_adamw_kernel"};
            double[][] cpuMillis = new double[3][rounds];
            double[][] wallMillis = new double[3][rounds];
            for (int round = -1; round < rounds; round++) {
                for (int slot = 0; slot < 3; slot++) {
                    int variant = (slot + Math.max(round, 0)) % 3;
                    fillGradients(model, manager);
                    long start = cpu.getCurrentThreadCpuTime();
                    long wall = System.nanoTime();
                    if (variant == 1) {
                        inOps.step();
                    } else if (variant == 2) {
                        kernel.step();
                    } else {
                        for (Parameter p : trainable) {
                            NDArray gradient = p.getArray().getGradient();
                            djl.update(p.getId(), p.getArray(), gradient);
                            gradient.subi(gradient);
                            gradient.close();
                        }
                    }
                    if (round >= 0) {
                        cpuMillis[variant][round] = (cpu.getCurrentThreadCpuTime() - start) / 1e6;
                        wallMillis[variant][round] = (System.nanoTime() - wall) / 1e6;
                    }
                }
            }
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"parameters\":%d,\"threads\":%s",
                    trainable.stream().mapToLong(p -> p.getArray().size()).sum(), threads));
            for (int variant = 0; variant < 3; variant++) {
                Arrays.sort(cpuMillis[variant]);
                Arrays.sort(wallMillis[variant]);
                json.append(String.format(Locale.ROOT, ",\"%s_cpu_ms\":%.1f,\"%s_wall_ms\":%.1f", names[variant],
                        cpuMillis[variant][rounds / 2], names[variant], wallMillis[variant][rounds / 2]));
            }
            System.out.println(json.append('}'));
            inOps.close();
            kernel.close();
        }
    }

    /** One forward and backward pass, so that every parameter holds a real gradient. */
    private static void fillGradients(BertModel model, NDManager manager) {
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray ids = scope.arange(1000, 1000 + 2 * 16).reshape(2, 16).toType(ai.djl.ndarray.types.DataType.INT64,
                    false);
            NDList inputs = new NDList(ids, scope.ones(ids.getShape(), ids.getDataType()),
                    scope.zeros(ids.getShape(), ids.getDataType()));
            NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
            collector.backward(out.square().mean());
        }
    }
}

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
 * {@link FusedAdam}, interleaved round by round in one process, timed in CPU time of this thread
 * (with one PyTorch thread, all the work), so other processes on the machine move both alike.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.OptimizerBenchmark [rounds]
 * </pre>
 */
public final class OptimizerBenchmark {

    private OptimizerBenchmark() {}

    /**
     * Prints the median CPU milliseconds per step of each optimizer and their ratio.
     *
     * @param args measured rounds (default 10)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = AllMiniLmL6V2.load(manager, Path.of(System.getProperty("java.io.tmpdir"),
                    "djl-adapters-minilm"));
            model.freezeParameters(false);
            List<Parameter> trainable = new ArrayList<>(model.getParameters().values());
            Optimizer djl = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-5f)).build();
            FusedAdam fused = FusedAdam.adamW(trainable, manager, 1e-5f);
            double[] djlMillis = new double[rounds];
            double[] fusedMillis = new double[rounds];
            for (int round = -1; round < rounds; round++) {
                for (int variant = 0; variant < 2; variant++) {
                    boolean useFused = (variant + Math.max(round, 0)) % 2 == 0;
                    fillGradients(model, manager);
                    long start = cpu.getCurrentThreadCpuTime();
                    if (useFused) {
                        fused.step();
                    } else {
                        for (Parameter p : trainable) {
                            NDArray gradient = p.getArray().getGradient();
                            djl.update(p.getId(), p.getArray(), gradient);
                            gradient.subi(gradient);
                            gradient.close();
                        }
                    }
                    double millis = (cpu.getCurrentThreadCpuTime() - start) / 1e6;
                    if (round >= 0) {
                        (useFused ? fusedMillis : djlMillis)[round] = millis;
                    }
                }
            }
            Arrays.sort(djlMillis);
            Arrays.sort(fusedMillis);
            double djlMedian = djlMillis[rounds / 2];
            double fusedMedian = fusedMillis[rounds / 2];
            System.out.printf(Locale.ROOT, "{\"parameters\":%d,\"djl_adamw_cpu_ms\":%.1f,\"fused_adamw_cpu_ms\":%.1f,"
                    + "\"fused_over_djl\":%.3f}%n", trainable.stream().mapToLong(p -> p.getArray().size()).sum(),
                    djlMedian, fusedMedian, fusedMedian / djlMedian);
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

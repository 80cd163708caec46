package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.parallel.RowGroups;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.models.training.RowSplitStep;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * all-MiniLM-L6-v2 at batch 8 x 128 at {@code threads} intra-op threads, A/B interleaved in one process:
 * A = the whole batch on the main thread at {@code threads} intra-op threads, B = {@code threads} row groups
 * side by side on a {@link TorchThreadTeam} (one intra-op thread each). Cases {@code forward} (gradients
 * off) and {@code lora-step} / {@code full-step} (forward, loss = mean of the last hidden state squared,
 * backward, {@link FusedAdam} AdamW: through DJL's gradient collector for A, {@link RowSplitStep} for B).
 * Prints per variant the median wall time, the median process CPU time and the median number of busy
 * threads per round (those with at least a quarter of the busiest thread's CPU time, /proc/self/task).
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.RowSplitBenchmark [case] [threads] [rounds] [warmUp]
 * </pre>
 */
public final class RowSplitBenchmark {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;

    private RowSplitBenchmark() {}

    /**
     * Runs the A/B comparison.
     *
     * @param args case (forward, lora-step or full-step; default lora-step), threads (2), rounds (10), warm-up (4)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        String name = args.length > 0 ? args[0] : "lora-step";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(threads)) {
            BertModel model = AllMiniLmL6V2.load(manager, Path.of(System.getProperty("java.io.tmpdir"),
                    "djl-adapters-minilm"));
            NDArray ids = manager.create(BenchInputs.tokenIds(BATCH, TOKENS, new Random(42)));
            NDList batch = new NDList(ids, manager.ones(ids.getShape(), ids.getDataType()),
                    manager.zeros(ids.getShape(), ids.getDataType()));
            Runnable whole;
            Runnable split;
            if (name.equals("forward")) {
                whole = () -> {
                    try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
                        model.forward(new ParameterStore(scope, false), batch, false);
                    }
                };
                split = () -> splitForward(team, model, manager, batch);
            } else {
                BertModel trained = BenchInputs.forTraining(model, name.equals("lora-step"));
                List<Parameter> trainable = trained.getParameters().values().stream()
                        .filter(Parameter::requiresGradient).toList();
                FusedAdam adam = FusedAdam.adamW(trainable, manager, 1e-5f);
                RowSplitStep step = new RowSplitStep(team, trainable);
                whole = () -> {
                    try (NDManager scope = manager.newSubManager()) {
                        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                            collector.backward(loss(trained, scope, batch));
                        }
                        adam.step();
                    }
                };
                split = () -> {
                    try (NDManager scope = manager.newSubManager()) {
                        step.step(scope, batch, (groupScope, rows) -> loss(trained, groupScope, rows));
                        adam.step();
                    }
                };
            }
            for (int i = 0; i < warmUp; i++) {
                whole.run();
                split.run();
            }
            List<long[]> a = new ArrayList<>();
            List<long[]> b = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                boolean aFirst = r % 2 == 0;
                (aFirst ? a : b).add(measure(aFirst ? whole : split));
                (aFirst ? b : a).add(measure(aFirst ? split : whole));
            }
            System.out.printf("%s at %d threads (main thread reports %d intra-op), %d rounds ABBA:%n", name, threads,
                    JniUtils.getNumThreads(), rounds);
            System.out.printf("  whole batch, %d intra-op threads: wall %.1f ms, CPU %.1f ms, busy threads %d%n",
                    threads, median(a, 0) / 1e6, median(a, 1) / 1e6, median(a, 2));
            System.out.printf("  %d row groups, 1 intra-op thread each: wall %.1f ms, CPU %.1f ms, busy threads %d%n",
                    team.size(), median(b, 0) / 1e6, median(b, 1) / 1e6, median(b, 2));
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = (double) b.get(r)[0] / a.get(r)[0];
            }
            Arrays.sort(ratios);
            System.out.printf("  split / whole wall per pair: median %.3f, range %.3f - %.3f%n", ratios[rounds / 2],
                    ratios[0], ratios[rounds - 1]);
        }
    }

    /** The inference forward as row groups on the team, each with gradients off on its thread. */
    private static void splitForward(TorchThreadTeam team, BertModel model, NDManager manager, NDList batch) {
        int[] bounds = RowGroups.bounds(BATCH, team.size());
        List<Callable<Void>> groups = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            for (int g = 0; g + 1 < bounds.length; g++) {
                NDIndex rows = new NDIndex(bounds[g] + ":" + bounds[g + 1]);
                NDList part = new NDList();
                for (NDArray array : batch) {
                    NDArray slice = array.get(rows);
                    slice.attach(scope);
                    part.add(slice);
                }
                groups.add(() -> {
                    try (GradientsOff off = GradientsOff.onThisThread()) {
                        model.forward(new ParameterStore(scope, false), part, false);
                    }
                    return null;
                });
            }
            team.run(groups);
        }
    }

    private static NDArray loss(BertModel model, NDManager scope, NDList rows) {
        return model.forward(new ParameterStore(scope, false), rows, true).head().square().mean();
    }

    /** Wall nanoseconds, process CPU nanoseconds and busy threads of one run. */
    private static long[] measure(Runnable run) {
        Map<String, Long> ticks = PeerRounds.threadTicks();
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        run.run();
        long wall = System.nanoTime() - start;
        return new long[] {wall, processCpuNanos() - cpu, PeerRounds.busyThreads(ticks, PeerRounds.threadTicks())};
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long median(List<long[]> runs, int field) {
        long[] values = runs.stream().mapToLong(r -> r[field]).sorted().toArray();
        return values[values.length / 2];
    }
}

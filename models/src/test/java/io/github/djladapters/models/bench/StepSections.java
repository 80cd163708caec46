package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where the training step's time goes at one and at two PyTorch threads, section by section (forward,
 * backward, optimizer), from each thread's CPU time ({@code /proc/self/task/<tid>/schedstat},
 * nanoseconds on a core) rather than the wall clock, so that it reads the same on a loaded machine. The
 * thread count switches between steps in one process ({@code torch.set_num_threads}), one and two
 * alternating, so drift hits both alike. Run it with {@code OMP_WAIT_POLICY=PASSIVE}: an OpenMP worker
 * then burns CPU only on work it was given, and its CPU time is the parallel share of a section.
 *
 * <p>Per section and thread count it prints the stepping thread's CPU time, the other threads' (by
 * name: OpenMP workers carry the launcher's name, Java's ForkJoin pool, GC and JIT threads theirs), and
 * the serial estimate {@code main - others}: with the work split evenly between two threads both
 * halves are equal, so what the stepping thread does beyond the others' is work nobody shares.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp ... io.github.djladapters.models.bench.StepSections [lora|full] [steps] [none|mask|up]
 * </pre>
 */
public final class StepSections {

    private static final String[] SECTIONS = {"forward", "backward", "optimizer"};

    private StepSections() {}

    /**
     * Runs warm-up steps, then {@code steps} steps at each thread count, alternating.
     *
     * @param args lora or full (default lora), measured steps per thread count (default 6), and the change to
     *     measure before / after in the same process, interleaved step by step: {@code none} (default), {@code
     *     mask} ({@link DropoutMask#setFloatMaskInPlace}) or {@code up} ({@link LoRALayer#contiguousUpInTraining})
     * @throws IOException when the model or {@code /proc} cannot be read
     */
    public static void main(String[] args) throws IOException {
        boolean lora = args.length < 1 || args[0].equals("lora");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        String change = args.length > 2 ? args[2] : "none";
        if (!List.of("none", "mask", "up").contains(change)) {
            throw new IllegalArgumentException("expected none, mask or up as the change to A/B, got " + change);
        }
        boolean ab = !change.equals("none");
        int combos = ab ? 4 : 2; // thread count 1 / 2, times the mask variant (before / after) with ab
        System.setProperty("ai.djl.pytorch.num_threads", "2");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        long mainTid = Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = BenchInputs.trainingModel(manager, lora);
            List<Parameter> trainable = BenchInputs.trainable(model);
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 1e-5f);
            long[][] ids = BenchInputs.tokenIds(8, 128, new Random(42));
            // [threads - 1][section] -> accumulated CPU ns per thread name ("main" for the stepping thread)
            List<List<Map<String, Long>>> cpu = new ArrayList<>();
            double[][] wall = new double[combos][3];
            for (int t = 0; t < combos; t++) {
                List<Map<String, Long>> perSection = new ArrayList<>();
                for (int s = 0; s < 3; s++) {
                    perSection.add(new TreeMap<>());
                }
                cpu.add(perSection);
            }
            for (int step = -16; step < combos * steps; step++) {
                int combo = Math.floorMod(step + Math.floorDiv(step, combos), combos); // the order rotates each cycle
                int threads = 1 + combo % 2;
                JniUtils.setNumThreads(threads);
                System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
                boolean after = !ab || combo >= 2;
                DropoutMask.setFloatMaskInPlace(!change.equals("mask") || after);
                LoRALayer.contiguousUpInTraining(!change.equals("up") || after);
                boolean measured = step >= 0;
                try (NDManager scope = manager.newSubManager()) {
                    NDList inputs = BenchInputs.bertInputs(scope, ids);
                    Map<Long, long[]> before = schedNanos();
                    long start = System.nanoTime();
                    NDArray loss;
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
                        loss = out.square().mean();
                        before = record(measured, cpu.get(combo).get(0), wall[combo], 0, before,
                                start, mainTid);
                        start = System.nanoTime();
                        collector.backward(loss);
                    }
                    before = record(measured, cpu.get(combo).get(1), wall[combo], 1, before, start,
                            mainTid);
                    start = System.nanoTime();
                    adamW.step();
                    record(measured, cpu.get(combo).get(2), wall[combo], 2, before, start, mainTid);
                }
            }
            DropoutMask.setFloatMaskInPlace(true);
            LoRALayer.contiguousUpInTraining(true);
            print(lora, steps, cpu, wall, ab);
        }
    }

    private static Map<Long, long[]> record(boolean measured, Map<String, Long> into, double[] wall, int section,
            Map<Long, long[]> before, long start, long mainTid) throws IOException {
        long now = System.nanoTime();
        Map<Long, long[]> after = schedNanos();
        if (measured) {
            wall[section] += (now - start) / 1e6;
            for (Map.Entry<Long, long[]> e : after.entrySet()) {
                long delta = e.getValue()[0] - before.getOrDefault(e.getKey(), new long[2])[0];
                if (delta > 0) {
                    String name = e.getKey() == mainTid ? "main" : threadName(e.getKey());
                    into.merge(name, delta, Long::sum);
                }
                if (e.getKey() == mainTid) {
                    // blocked: neither on a core nor waiting for one (asleep on a lock, a join, a futex)
                    long queued = e.getValue()[1] - before.getOrDefault(e.getKey(), new long[2])[1];
                    into.merge("~main queued", queued, Long::sum);
                    into.merge("~main blocked", Math.max(0, (now - start) - delta - queued), Long::sum);
                }
            }
        }
        return schedNanos(); // read again so that reading /proc does not count in the next section
    }

    private static void print(boolean lora, int steps, List<List<Map<String, Long>>> cpu, double[][] wall,
            boolean ab) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s step, per step (ms), %d steps per thread count%n",
                lora ? "LoRA" : "full", steps));
        int combos = cpu.size();
        double[][] totals = new double[combos][4]; // main cpu, others cpu, main blocked, wall
        for (int s = 0; s < 3; s++) {
            for (int t = 0; t < combos; t++) {
                Map<String, Long> threads = cpu.get(t).get(s);
                double main = threads.getOrDefault("main", 0L) / 1e6 / steps;
                double others = threads.entrySet().stream().filter(e -> !e.getKey().startsWith("~") && !e.getKey().equals("main"))
                        .mapToLong(Map.Entry::getValue).sum() / 1e6 / steps;
                StringBuilder detail = new StringBuilder(String.format(Locale.ROOT, " main queued %.1f blocked %.1f |",
                        threads.getOrDefault("~main queued", 0L) / 1e6 / steps,
                        threads.getOrDefault("~main blocked", 0L) / 1e6 / steps));
                threads.entrySet().stream().filter(e -> !e.getKey().startsWith("~") && !e.getKey().equals("main"))
                        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(4)
                        .forEach(e -> detail.append(String.format(Locale.ROOT, " %s=%.1f", e.getKey(),
                                e.getValue() / 1e6 / steps)));
                out.append(String.format(Locale.ROOT,
                        "%-9s %s: wall %7.1f  main cpu %7.1f  others cpu %7.1f  main-others %7.1f |%s%n",
                        SECTIONS[s], label(t, ab), wall[t][s] / steps, main, others, main - others, detail));
                totals[t][0] += main;
                totals[t][1] += others;
                totals[t][2] += threads.getOrDefault("~main blocked", 0L) / 1e6 / steps;
                totals[t][3] += wall[t][s] / steps;
            }
        }
        for (int t = 0; t < combos; t++) {
            out.append(String.format(Locale.ROOT, "step %s: main cpu %.1f, others cpu %.1f, process cpu %.1f,"
                    + " main - others %.1f, main blocked %.1f, wall %.1f ms%n", label(t, ab), totals[t][0],
                    totals[t][1], totals[t][0] + totals[t][1], totals[t][0] - totals[t][1], totals[t][2],
                    totals[t][3]));
        }
        System.out.print(out);
    }

    private static String label(int combo, boolean ab) {
        return (combo % 2 + 1) + (combo % 2 == 0 ? " thread " : " threads") + (ab ? combo >= 2 ? " after " : " before" : "");
    }

    /** Per thread id of this process: nanoseconds on a core and nanoseconds waiting in a run queue. */
    private static Map<Long, long[]> schedNanos() throws IOException {
        Map<Long, long[]> result = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String line = Files.readString(task.resolve("schedstat")).strip();
                    String[] fields = line.split(" ");
                    result.put(Long.parseLong(task.getFileName().toString()),
                            new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[1])});
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between listing and reading
                }
            }
        }
        return result;
    }

    private static String threadName(long tid) {
        try {
            String name = Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
            // one entry per kind of thread: the pool's numbering would split its share
            return name.replaceAll("[-#]?\\d+$", "");
        } catch (IOException | RuntimeException gone) {
            return "ended";
        }
    }
}

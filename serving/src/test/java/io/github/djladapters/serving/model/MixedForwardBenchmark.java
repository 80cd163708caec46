package io.github.djladapters.serving.model;

import io.github.djladapters.runtime.methods.lora.LoRALayer;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The forward-level cost behind the load test's "mixed in one forward" and "one forward per adapter
 * group" phases, without HTTP: all-MiniLM-L6-v2 with {@code adapters} LoRA adapters, {@code rows}
 * short texts; one forward of all rows with per-row adapters, against one forward per adapter of
 * {@code rows / adapters} rows each, and one forward of all rows on one adapter and on the base;
 * the mixed forward runs twice, with each LoRA layer's per-row stacks kept from the previous forward
 * and built for the forward ({@code LoRALayer.reusePerRowStacks(false)}). The variants run interleaved, round after round, and the median of each is printed (wall and
 * process CPU milliseconds per batch of {@code rows} texts), with the ratio grouped / mixed. Process
 * CPU time counts PyTorch's own threads too, so it is the fairer figure on a shared machine.
 *
 * <p>{@code java ... MixedForwardBenchmark <adapter root> [rounds] [rows]}; a root that does not exist is
 * written first with 16 adapters as the load test writes them.
 */
public final class MixedForwardBenchmark {

    private static final List<String> TEXTS = List.of("the battery lasts all day", "it broke after a week",
            "great value for the price", "the screen is too dim outside", "fast delivery and well packed",
            "I would not buy it again", "works as described", "the manual is confusing");

    private static final boolean THREAD_CPU = Boolean.getBoolean("bench.threadCpu");

    private MixedForwardBenchmark() {}

    /**
     * Process CPU time, or with {@code -Dbench.threadCpu=true} the calling thread's: exact to the
     * microsecond where process time ticks in 10 ms steps, and the whole cost when PyTorch runs on
     * the calling thread alone ({@code OMP_NUM_THREADS=1}).
     */
    private static long cpuNanos(com.sun.management.OperatingSystemMXBean os) {
        return THREAD_CPU ? java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
                : os.getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        if (!Files.exists(root)) {
            io.github.djladapters.serving.bench.ServingLoadTest.writeMiniLmAdapters(root, 16);
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        List<String> adapters = new ArrayList<>();
        try (var listing = Files.list(root)) {
            listing.filter(p -> Files.isRegularFile(p.resolve("adapter_config.json"))).map(p -> p.getFileName().toString())
                    .sorted().forEach(adapters::add);
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        try (ServedModel model = ModelLoader.open(ModelLoader.BUILT_IN, root, RegistryOptions.DEFAULTS, BatchSettings.DEFAULTS,
                cache)) {
            EmbeddingService service = model.embeddings();
            List<String> texts = new ArrayList<>();
            List<String> mixed = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                texts.add(TEXTS.get(i % TEXTS.size()));
                mixed.add(adapters.get(i % adapters.size()));
            }
            String[] names = {"mixed, one forward", "mixed, one forward, per-row stacks built every forward",
                "one forward per adapter group", "one adapter, one forward", "base, one forward",
                "one forward of " + Math.max(1, rows / adapters.size()) + " rows"};
            double[][] millis = new double[names.length][rounds];
            double[][] cpuMillis = new double[names.length][rounds];
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int round = -3; round < rounds; round++) { // three unrecorded rounds
                double[] t = new double[names.length];
                double[] c = new double[names.length];
                long cpu = cpuNanos(os);
                long start = System.nanoTime();
                service.compute(texts, mixed);
                t[0] = (System.nanoTime() - start) / 1e6;
                c[0] = (cpuNanos(os) - cpu) / 1e6;
                LoRALayer.reusePerRowStacks(false);
                cpu = cpuNanos(os);
                start = System.nanoTime();
                service.compute(texts, mixed);
                t[1] = (System.nanoTime() - start) / 1e6;
                c[1] = (cpuNanos(os) - cpu) / 1e6;
                LoRALayer.reusePerRowStacks(true);
                cpu = cpuNanos(os);
                start = System.nanoTime();
                for (int a = 0; a < adapters.size(); a++) {
                    List<String> groupTexts = new ArrayList<>();
                    for (int i = a; i < rows; i += adapters.size()) {
                        groupTexts.add(texts.get(i));
                    }
                    if (!groupTexts.isEmpty()) {
                        service.compute(groupTexts, Collections.nCopies(groupTexts.size(), adapters.get(a)));
                    }
                }
                t[2] = (System.nanoTime() - start) / 1e6;
                c[2] = (cpuNanos(os) - cpu) / 1e6;
                cpu = cpuNanos(os);
                start = System.nanoTime();
                service.compute(texts, Collections.nCopies(rows, adapters.get(0)));
                t[3] = (System.nanoTime() - start) / 1e6;
                c[3] = (cpuNanos(os) - cpu) / 1e6;
                cpu = cpuNanos(os);
                start = System.nanoTime();
                service.compute(texts, Collections.nCopies(rows, ""));
                t[4] = (System.nanoTime() - start) / 1e6;
                c[4] = (cpuNanos(os) - cpu) / 1e6;
                cpu = cpuNanos(os);
                int groupRows = Math.max(1, rows / adapters.size());
                start = System.nanoTime();
                service.compute(texts.subList(0, groupRows), Collections.nCopies(groupRows, adapters.get(1)));
                t[5] = (System.nanoTime() - start) / 1e6;
                c[5] = (cpuNanos(os) - cpu) / 1e6;
                cpu = cpuNanos(os);
                if (round >= 0) {
                    for (int v = 0; v < names.length; v++) {
                        millis[v][round] = t[v];
                        cpuMillis[v][round] = c[v];
                    }
                }
            }
            double[] medians = new double[names.length];
            double[] cpuMedians = new double[names.length];
            System.out.println("| forward | wall ms (median) | " + (THREAD_CPU ? "thread" : "process") + " CPU ms (median) |");
            System.out.println("| --- | --- | --- |");
            for (int v = 0; v < names.length; v++) {
                Arrays.sort(millis[v]);
                Arrays.sort(cpuMillis[v]);
                medians[v] = millis[v][rounds / 2];
                cpuMedians[v] = cpuMillis[v][rounds / 2];
                System.out.printf("| %s | %.1f | %.1f |%n", names[v], medians[v], cpuMedians[v]);
            }
            System.out.printf("%d rows, %d adapters: grouped / mixed = %.2fx wall, %.2fx CPU%n", rows, adapters.size(),
                    medians[2] / medians[0], cpuMedians[2] / cpuMedians[0]);
            System.out.printf("per-row stacks kept / built every forward: %.2fx wall, %.2fx CPU%n",
                    medians[0] / medians[1], cpuMedians[0] / cpuMedians[1]);
        }
    }
}

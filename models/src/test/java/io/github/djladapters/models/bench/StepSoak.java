package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.models.training.RowSplitStep;
import io.github.djladapters.runtime.testmodel.LiveArrays;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Soak test of training steps (a main, not a unit test): many LoRA (or full) AdamW steps on
 * all-MiniLM-L6-v2 at batch 8 x 128, as two row groups on a {@link TorchThreadTeam} ({@link RowSplitStep})
 * or as one pass over the batch through DJL's gradient collector. Every {@code every} steps it prints the
 * resident set size (VmRSS), its peak so far (VmHWM) and the process's open arrays and managers
 * ({@link LiveArrays}), the JVM's direct buffers and its heap (used and committed: run with a fixed heap,
 * {@code -Xms256m -Xmx256m -XX:+AlwaysPreTouch}, to keep the heap's growth out of the RSS). With the counts flat, RSS that still grows is memory the native allocator keeps
 * (compare runs under {@code MALLOC_ARENA_MAX=2} or {@code MALLOC_TRIM_THRESHOLD_}, which it prints).
 *
 * <pre>
 * ./mvnw -o -q -B -pl models -am -DskipTests test-compile exec:exec@step-soak
 *     [-Dsoak.case=split|whole] [-Dsoak.steps=650] [-Dsoak.every=50] [-Dsoak.lora=true]
 * </pre>
 */
public final class StepSoak {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;

    private StepSoak() {}

    /**
     * Runs the soak.
     *
     * @param args case (split or whole, default split), steps (650), print every (50), LoRA (true) or full
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        String name = args.length > 0 ? args[0] : "split";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 650;
        int every = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        boolean lora = args.length <= 3 || Boolean.parseBoolean(args[3]);
        System.setProperty("ai.djl.pytorch.num_threads", "2");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.out.printf(Locale.ROOT, "%s %s steps, MALLOC_ARENA_MAX=%s MALLOC_TRIM_THRESHOLD_=%s"
                + " MALLOC_MMAP_THRESHOLD_=%s GLIBC_TUNABLES=%s%n", name, lora ? "LoRA" : "full",
                System.getenv("MALLOC_ARENA_MAX"), System.getenv("MALLOC_TRIM_THRESHOLD_"),
                System.getenv("MALLOC_MMAP_THRESHOLD_"), System.getenv("GLIBC_TUNABLES"));
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            BertModel model = BenchInputs.trainingModel(manager, lora);
            List<Parameter> trainable = BenchInputs.trainable(model);
            long[][] ids = BenchInputs.tokenIds(BATCH, TOKENS, new Random(42));
            RowSplitStep split = new RowSplitStep(team, trainable);
            System.out.printf(Locale.ROOT, "loaded: RSS %d MiB, live %s%n", kib("VmRSS") / 1024, LiveArrays.now());
            System.out.println("| step | RSS MiB | peak RSS MiB | live arrays | live managers | direct buffers (count, MiB)"
                    + " | heap used / committed MiB | loss |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
            try (FusedAdam adam = FusedAdam.adamW(trainable, manager, 1e-5f)) {
                for (int step = 1; step <= steps; step++) {
                    float loss;
                    try (NDManager scope = manager.newSubManager()) {
                        NDList batch = BenchInputs.bertInputs(scope, ids);
                        if (name.equals("split")) {
                            loss = split.step(scope, batch, (group, rows) -> loss(model, group, rows));
                        } else {
                            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                                NDArray mean = loss(model, scope, batch);
                                collector.backward(mean);
                                loss = mean.getFloat();
                            }
                        }
                        adam.step();
                    }
                    if (step == 1 || step % every == 0) {
                        LiveArrays live = LiveArrays.now();
                        BufferPoolMXBean direct = directBuffers();
                        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                        System.out.printf(Locale.ROOT, "| %d | %d | %d | %d | %d | %d, %.1f | %d / %d | %.5f |%n", step,
                                kib("VmRSS") / 1024, kib("VmHWM") / 1024, live.arrays(), live.managers(),
                                direct.getCount(), direct.getMemoryUsed() / 1048576.0, heap.getUsed() >> 20,
                                heap.getCommitted() >> 20, loss);
                    }
                }
            }
        }
    }

    private static NDArray loss(BertModel model, NDManager scope, NDList rows) {
        return model.forward(new ParameterStore(scope, false), rows, true).head().square().mean();
    }

    /** The JVM's pool of direct byte buffers (freed only when the garbage collector finds them unreachable). */
    private static BufferPoolMXBean directBuffers() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
    }

    /** A field of /proc/self/status in KiB (VmRSS, VmHWM), or -1 where there is none. */
    private static long kib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

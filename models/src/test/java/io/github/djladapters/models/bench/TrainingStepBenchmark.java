package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.engine.DropoutMask;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The LoRA or full training step of the peer comparison (all-MiniLM-L6-v2, 8 x 128 tokens, LoRA r 8
 * on query and value, BERT's dropouts, AdamW through {@link FusedAdam}) with dropout masks drawn by
 * {@link DropoutMask} against libtorch's own dropout (and the attention kernel's), interleaved round
 * by round in one process, the order alternating. Medians of this thread's CPU time, of the
 * process's CPU time (all threads: with two PyTorch threads, the workers' share too) and of wall
 * time; and per step, the Java heap bytes this thread allocated and the garbage collections (all
 * collectors) that ran. Prints one JSON line.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.TrainingStepBenchmark [rounds] [threads] [lora|full]
 * </pre>
 */
public final class TrainingStepBenchmark {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private TrainingStepBenchmark() {}

    /**
     * Runs the comparison.
     *
     * @param args measured rounds (default 10), PyTorch intra-op threads (default 1), lora or full
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String threads = args.length > 1 ? args[1] : "1";
        boolean lora = args.length < 3 || args[2].equals("lora");
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = BenchInputs.trainingModel(manager, lora);
            List<Parameter> trainable = BenchInputs.trainable(model);
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 1e-5f);
            long[][] ids = BenchInputs.tokenIds(8, 128, new Random(42));
            Runnable step = () -> BenchInputs.trainingStep(manager, model, adamW, ids);
            double[][][] samples = new double[2][3][rounds];
            com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) CPU;
            long allocatedBefore = allocation.getCurrentThreadAllocatedBytes();
            long gcsBefore = gcCount();
            for (int round = -2; round < rounds; round++) {
                for (int slot = 0; slot < 2; slot++) {
                    int variant = (slot + Math.max(round, 0)) % 2; // 0: libtorch's dropout, 1: DropoutMask
                    DropoutMask.setEnabled(variant == 1);
                    long thread = CPU.getCurrentThreadCpuTime();
                    long process = processCpu();
                    long wall = System.nanoTime();
                    step.run();
                    if (round >= 0) {
                        samples[variant][0][round] = (CPU.getCurrentThreadCpuTime() - thread) / 1e6;
                        samples[variant][1][round] = (processCpu() - process) / 1e6;
                        samples[variant][2][round] = (System.nanoTime() - wall) / 1e6;
                    }
                }
            }
            DropoutMask.setEnabled(true);
            int steps = 2 * (rounds + 2);
            double allocatedPerStep = (allocation.getCurrentThreadAllocatedBytes() - allocatedBefore) / (double) steps;
            double gcsPerStep = (gcCount() - gcsBefore) / (double) steps;
            String[] names = {"thread_cpu_ms", "process_cpu_ms", "wall_ms"};
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                    "{\"case\":\"%s\",\"threads\":%s,\"rounds\":%d", lora ? "lora-step" : "full-step", threads, rounds));
            for (int m = 0; m < 3; m++) {
                double before = median(samples[0][m]);
                double after = median(samples[1][m]);
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = samples[1][m][r] / samples[0][m][r];
                }
                json.append(String.format(Locale.ROOT, ",\"%s\":{\"torch_dropout\":%.1f,\"java_mask\":%.1f,"
                        + "\"median_ratio\":%.3f}", names[m], before, after, median(ratios)));
            }
            json.append(String.format(Locale.ROOT, ",\"java_heap_allocated_mb_per_step\":%.2f,\"gcs_per_step\":%.3f",
                    allocatedPerStep / 1e6, gcsPerStep));
            System.out.println(json.append('}'));
        }
    }

    private static long gcCount() {
        long count = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
        }
        return count;
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Load time and peak Java heap of loading all-MiniLM-L6-v2 from its ONNX export: the file is
 * memory-mapped and each tensor passes through the heap on its way into native memory, so the peak
 * heap over the baseline should stay well under one copy of the weights (90 MB in float32). Not a
 * unit test: run it by hand, in a fresh JVM.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.MiniLmLoadFootprint [cacheDir]
 * </pre>
 */
public final class MiniLmLoadFootprint {

    private MiniLmLoadFootprint() {}

    /**
     * Loads the model twice (the first load also starts the engine) and prints time and peak heap.
     *
     * @param args optional cache directory for the extracted model files
     * @throws Exception when the model cannot be read
     */
    public static void main(String[] args) throws Exception {
        Path cache = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("minilm-footprint");
        AllMiniLmL6V2.onnxFile(cache); // extract once, outside the measurement
        for (int round = 1; round <= 2; round++) {
            System.gc();
            long baseline = usedHeap();
            resetPeaks();
            long start = System.nanoTime();
            try (NDManager manager = NDManager.newBaseManager()) {
                BertModel model = AllMiniLmL6V2.load(manager, cache);
                double seconds = (System.nanoTime() - start) / 1e9;
                long parameters = model.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                long peak = peakHeap();
                System.out.printf("round %d: %,d parameters (%.1f MB float32) loaded in %.2f s; heap baseline %.1f MB,"
                        + " peak %.1f MB (+%.1f MB); process resident %s, peak resident %s%n", round, parameters,
                        parameters * 4 / 1e6, seconds, baseline / 1e6, peak / 1e6, (peak - baseline) / 1e6,
                        procStatus("VmRSS"), procStatus("VmHWM"));
            }
        }
    }

    /** A line of Linux's /proc/self/status, such as the peak resident set VmHWM; "n/a" elsewhere. */
    private static String procStatus(String key) {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(key + ":"))
                    .map(l -> l.substring(key.length() + 1).trim()).findFirst().orElse("n/a");
        } catch (java.io.IOException e) {
            return "n/a";
        }
    }

    private static long usedHeap() {
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }

    private static void resetPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** The sum of the heap pools' peaks: an upper bound of the heap in use at any one time. */
    private static long peakHeap() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}

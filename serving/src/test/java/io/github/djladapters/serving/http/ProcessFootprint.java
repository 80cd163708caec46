package io.github.djladapters.serving.http;

import io.github.djladapters.runtime.engine.TransposedStorage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import javax.management.ObjectName;

/**
 * What the process holds at one moment, for checks that closing a model or a server gives back what
 * opening it took: the live (reachable after a full collection) objects of the classes that hold
 * native memory (DJL's arrays and managers, TorchScript values and modules, tokenizers), the live
 * threads by name (digits folded to {@code #}), and the resident set size. DJL's system manager does
 * not track the base managers under it, so the heap is where a manager nobody closed can be seen.
 *
 * @param objects live instances by class name (only the classes asked for)
 * @param threads live threads by name, with their counts
 * @param transposedWeights the arrays {@link TransposedStorage}'s static map follows
 * @param rssKib resident set size from {@code /proc/self/status} (0 where it cannot be read)
 */
public record ProcessFootprint(Map<String, Long> objects, Map<String, Integer> threads, int transposedWeights,
        long rssKib) {

    /** Classes whose instances hold native memory. */
    public static final String[] NATIVE_HOLDERS = {"ai.djl.pytorch.engine.PtNDArray",
        "ai.djl.pytorch.engine.PtNDManager", "ai.djl.pytorch.jni.IValue", "ai.djl.pytorch.engine.PtSymbolBlock",
        "ai.djl.huggingface.tokenizers.HuggingFaceTokenizer"};

    /**
     * Takes a snapshot after a full collection (the class histogram collects first).
     *
     * @return the footprint now
     */
    public static ProcessFootprint now() {
        Map<String, Long> objects = new TreeMap<>();
        for (String name : NATIVE_HOLDERS) {
            objects.put(name, 0L);
        }
        for (String line : histogram().split("\n")) {
            String[] fields = line.trim().split("\\s+");
            // "  12:   345   6789  ai.djl.pytorch.engine.PtNDArray (module)"
            if (fields.length >= 4 && fields[0].endsWith(":") && objects.containsKey(fields[3])) {
                objects.put(fields[3], Long.parseLong(fields[1]));
            }
        }
        Map<String, Integer> threads = new TreeMap<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive()) {
                threads.merge(thread.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
            }
        }
        return new ProcessFootprint(objects, threads, TransposedStorage.tracked(), readRss());
    }

    /**
     * Live instances of one class.
     *
     * @param className one of {@link #NATIVE_HOLDERS}
     * @return the count
     */
    public long live(String className) {
        return objects.getOrDefault(className, 0L);
    }

    /**
     * The live threads in all.
     *
     * @return the number of live threads
     */
    public int threadCount() {
        return threads.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static String histogram() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (Exception e) {
            throw new IllegalStateException("the JVM's class histogram is not available", e);
        }
    }

    private static long readRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}

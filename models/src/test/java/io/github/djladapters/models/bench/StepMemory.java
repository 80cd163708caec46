package io.github.djladapters.models.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Peak resident memory of some steps above the state before them, read from /proc: the kernel's peak
 * (VmHWM) is reset to the current resident set first ({@code 5} into /proc/self/clear_refs), so that what
 * the process did before (loading a model) does not count. Meant for a fresh process per figure, under
 * fixed allocator settings ({@code MALLOC_MMAP_THRESHOLD_}, {@code MALLOC_ARENA_MAX}), which it reports.
 */
final class StepMemory {

    private StepMemory() {}

    /**
     * Runs {@code steps} and reports the resident set before them, the peak during them and the difference.
     *
     * @param steps the measured work
     * @return {@code loaded_rss_mb}, {@code peak_rss_mb}, {@code peak_above_load_mb}, {@code peak_reset}
     *     (false where /proc/self/clear_refs cannot be written) and {@code malloc_env}
     */
    static Map<String, Object> measure(Runnable steps) {
        Map<String, Object> memory = new LinkedHashMap<>();
        double loaded = rssMegabytes("VmRSS:");
        boolean reset = resetPeakRss();
        steps.run();
        double peak = rssMegabytes("VmHWM:");
        memory.put("loaded_rss_mb", loaded);
        memory.put("peak_rss_mb", peak);
        memory.put("peak_above_load_mb", peak - loaded);
        memory.put("peak_reset", reset);
        memory.put("malloc_env", Map.of(
                "MALLOC_MMAP_THRESHOLD_", String.valueOf(System.getenv("MALLOC_MMAP_THRESHOLD_")),
                "MALLOC_ARENA_MAX", String.valueOf(System.getenv("MALLOC_ARENA_MAX"))));
        return memory;
    }

    private static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A resident-set figure of this process from /proc (VmRSS: now, VmHWM: peak), or -1 where there is none. */
    private static double rssMegabytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

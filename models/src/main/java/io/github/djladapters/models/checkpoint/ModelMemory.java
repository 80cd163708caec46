package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.lang.management.ManagementFactory;

/**
 * Checks, before loading starts, that a model's float32 weights fit in this machine's physical
 * memory (where the engine allocates them); a config that describes a model too large fails with
 * the estimate instead of running the machine out of memory.
 */
public final class ModelMemory {

    private ModelMemory() {}

    /**
     * Refuses a model whose weights need more bytes than the machine has.
     *
     * @param parameters the parameter count the config describes
     * @param what the model, such as the path of its config.json
     * @throws CheckpointException with the estimate and the memory there is
     */
    public static void requireFits(long parameters, String what) throws CheckpointException {
        long needed = Math.multiplyExact(parameters, 4L);
        long physical = physicalMemory();
        if (physical > 0 && needed > physical) {
            throw new CheckpointException(what + " describes " + parameters + " parameters, which need about "
                    + gib(needed) + " GiB as float32, more than the " + gib(physical)
                    + " GiB of physical memory of this machine");
        }
    }

    /** The machine's physical memory in bytes, or 0 when the JVM cannot tell. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / (1024.0 * 1024 * 1024));
    }
}

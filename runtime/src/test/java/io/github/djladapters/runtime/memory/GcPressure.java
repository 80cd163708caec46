package io.github.djladapters.runtime.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs work while a background thread keeps the garbage collector busy: it calls
 * {@code System.gc()} in a loop and fills freshly allocated direct buffers with NaN bit patterns, so
 * memory freed under an array that the engine still reads is soon reused with garbage. A flow that
 * gives the same bits under pressure as without has no array backed by collectable memory.
 */
public final class GcPressure {

    private GcPressure() {}

    /**
     * Runs {@code work} under pressure.
     *
     * @param work the flow
     * @param <T> its result
     * @return the result
     */
    public static <T> T during(Supplier<T> work) {
        Thread collector = new Thread(GcPressure::churn, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        try {
            return work.get();
        } finally {
            collector.interrupt();
            try {
                collector.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void churn() {
        List<ByteBuffer> garbage = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            for (int i = 0; i < 64; i++) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(256 + 64 * (i % 16));
                while (buffer.remaining() >= 4) {
                    buffer.putInt(0x7fc00000 + i); // a NaN
                }
                garbage.add(buffer);
            }
            garbage.clear();
            System.gc();
        }
    }
}

package io.github.djladapters.runtime.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Helpers for fuzz targets: fuzzer bytes as a file, and the contract every reader keeps: it
 * returns, or throws one of the exception types it documents for bad input; anything else (a
 * {@code NullPointerException}, an {@code ArithmeticException}, an {@code OutOfMemoryError}) is a
 * finding. The models module's fuzz tests use it too, through this module's test jar.
 */
public final class FuzzedFiles {

    private static final Path DIR;

    static {
        try {
            Path shm = Path.of("/dev/shm");
            DIR = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                    : Path.of(System.getProperty("java.io.tmpdir")), "fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FuzzedFiles() {}

    /**
     * Writes bytes under a fixed name in a folder of their own.
     *
     * @param name the file name, such as {@code adapter_config.json}
     * @param bytes the content
     * @return the file
     */
    public static Path write(String name, byte[] bytes) {
        try {
            Path file = DIR.resolve(name);
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs a reader and lets only the documented failures through.
     *
     * @param reader the code under test
     * @param allowed the exception types it may throw on bad input
     */
    public static void expectOnly(ThrowingRunnable reader, Set<Class<? extends Throwable>> allowed) {
        try {
            reader.run();
        } catch (Throwable t) {
            for (Class<? extends Throwable> type : allowed) {
                if (type.isInstance(t)) {
                    if (t.getMessage() == null || t.getMessage().isBlank()) {
                        throw new AssertionError("an error without a message", t);
                    }
                    return;
                }
            }
            throw new AssertionError("undocumented failure " + t.getClass().getName(), t);
        }
    }

    /** Code that may throw anything. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        /**
         * Runs.
         *
         * @throws Exception on failure
         */
        void run() throws Exception;
    }
}

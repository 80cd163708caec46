package io.github.djladapters.runtime.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Files written next to their targets under temporary names and moved into place together: every
 * file is written and synced first, then each is renamed over its target with an atomic move. When
 * anything fails before {@link #commit()}, {@link #close()} deletes the temporary files and every
 * target keeps its previous content.
 *
 * <pre>{@code
 * try (StagedFiles files = new StagedFiles()) {
 *     files.write(dir.resolve("adapter_config.json"), json);
 *     files.stage(dir.resolve("adapter_model.safetensors"), writer::write);
 *     files.commit();
 * }
 * }</pre>
 */
final class StagedFiles implements AutoCloseable {

    /** Writes a file's content to the path it is given. */
    @FunctionalInterface
    interface Content {
        /**
         * Writes the content.
         *
         * @param path a new temporary file next to the target
         * @throws IOException when writing fails
         */
        void writeTo(Path path) throws IOException;
    }

    /** Points where a test makes a save fail; null in normal use. */
    interface Faults {
        /**
         * Called with each temporary file once its content is written, before it is synced.
         *
         * @param temp the temporary file
         * @throws IOException to make the write fail there
         */
        void afterWrite(Path temp) throws IOException;

        /**
         * Called before each move into place.
         *
         * @param target the file about to be replaced
         * @throws IOException to make the move fail there
         */
        void beforeMove(Path target) throws IOException;
    }

    /** Fault injection for tests of atomic saves. */
    static volatile Faults faults;

    private final Map<Path, Path> staged = new LinkedHashMap<>();

    /**
     * Writes one file under a temporary name in its target's directory.
     *
     * @param target where the file goes on {@link #commit()}
     * @param content writes the content
     * @throws IOException when writing fails
     */
    void stage(Path target, Content content) throws IOException {
        if (staged.containsKey(target)) {
            throw new IllegalArgumentException(target + " is staged twice");
        }
        // Same directory, so the final move is a rename; a dot name, so tools listing the folder skip it.
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        staged.put(target, temp);
        content.writeTo(temp);
        Faults injected = faults;
        if (injected != null) {
            injected.afterWrite(temp);
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /**
     * Writes bytes under a temporary name.
     *
     * @param target where the file goes on {@link #commit()}
     * @param bytes the content
     * @throws IOException when writing fails
     */
    void write(Path target, byte[] bytes) throws IOException {
        stage(target, path -> {
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW)) {
                out.write(bytes);
            }
        });
    }

    /**
     * Moves every staged file over its target, each atomically, in the order staged. The set is
     * atomic too: the previous content of each target is kept under a hard link (a copy where links
     * are not supported) until every move succeeded, and put back when one fails.
     *
     * @throws IOException when a move fails; every target then has its previous content again
     */
    void commit() throws IOException {
        Map<Path, Path> backups = new LinkedHashMap<>();
        List<Path> moved = new ArrayList<>();
        try {
            for (Path target : staged.keySet()) {
                if (Files.exists(target)) {
                    Path backup = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".bak");
                    try {
                        Files.createLink(backup, target);
                    } catch (UnsupportedOperationException | IOException e) {
                        Files.copy(target, backup, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    backups.put(target, backup);
                }
            }
            for (Map.Entry<Path, Path> file : staged.entrySet()) {
                Faults injected = faults;
                if (injected != null) {
                    injected.beforeMove(file.getKey());
                }
                Files.move(file.getValue(), file.getKey(), StandardCopyOption.ATOMIC_MOVE);
                moved.add(file.getKey());
            }
        } catch (IOException | RuntimeException e) {
            rollBack(moved, backups, e);
            throw e;
        } finally {
            for (Path backup : backups.values()) {
                Files.deleteIfExists(backup);
            }
        }
        staged.clear();
    }

    /** Puts back the previous content of the targets already replaced (or deletes them if they were new). */
    private static void rollBack(List<Path> moved, Map<Path, Path> backups, Exception cause) {
        for (Path target : moved) {
            try {
                Path backup = backups.get(target);
                if (backup == null) {
                    Files.deleteIfExists(target);
                } else {
                    Files.move(backup, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** Deletes the temporary files not moved into place. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (Path temp : staged.values()) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        staged.clear();
        if (failure != null) {
            throw failure;
        }
    }
}

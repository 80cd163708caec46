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
     * Moves every staged file over its target, each atomically, in the order staged.
     *
     * @throws IOException when a move fails; files moved before it stay moved
     */
    void commit() throws IOException {
        for (Map.Entry<Path, Path> file : new ArrayList<>(staged.entrySet())) {
            Files.move(file.getValue(), file.getKey(), StandardCopyOption.ATOMIC_MOVE);
            staged.remove(file.getKey());
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

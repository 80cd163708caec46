package io.github.djladapters.runtime.files;

import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads small text files (JSON configs, indexes) with a size limit, refusing anything that is not
 * a regular file: a FIFO would block the reader forever, a link to {@code /dev/zero} would fill the
 * heap.
 *
 * <pre>{@code
 * JsonNode config = JSON.readTree(SmallFiles.read(dir.resolve("config.json")));
 * }</pre>
 */
public final class SmallFiles {

    /** The largest file read: far above any real config.json or index file. */
    public static final long MAX_BYTES = 64L << 20;

    private SmallFiles() {}

    /**
     * The bytes of a regular file of at most {@link #MAX_BYTES}.
     *
     * @param file the file
     * @return its bytes
     * @throws NoSuchFileException when it does not exist
     * @throws CheckpointException naming the file when it is not a regular file or too large
     * @throws IOException when reading fails
     */
    public static byte[] read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": not a regular file (a directory, device or pipe cannot be read"
                    + " as a config)");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new CheckpointException(file + ": " + size + " bytes, more than the " + MAX_BYTES
                    + " a config file may have");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) MAX_BYTES + 1); // the file may grow between size() and here
            if (bytes.length > MAX_BYTES) {
                throw new CheckpointException(file + ": more than " + MAX_BYTES + " bytes");
            }
            return bytes;
        }
    }
}

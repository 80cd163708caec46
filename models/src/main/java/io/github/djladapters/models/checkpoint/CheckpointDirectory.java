package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.TensorSource;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or
 * {@code model.safetensors.index.json} and its shards.
 */
public final class CheckpointDirectory {

    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The sharded weights index name. */
    public static final String SHARD_INDEX = "model.safetensors.index.json";

    private CheckpointDirectory() {}

    /**
     * Opens the weights of a model directory.
     *
     * @param dir a directory as written by {@code save_pretrained}
     * @return the tensors; close after loading
     * @throws CheckpointException when the directory holds no safetensors weights (the message says
     *     what it found)
     * @throws IOException when a file cannot be read
     */
    public static TensorSource open(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        Path index = dir.resolve(SHARD_INDEX);
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.open(index);
        }
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                ? " (pytorch_model.bin is not read: convert it to safetensors)"
                : "";
        throw new CheckpointException(dir + ": no " + SINGLE_FILE + " or " + SHARD_INDEX + hint);
    }
}

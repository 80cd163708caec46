package io.github.djladapters.models.checkpoint;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorSource;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A Hugging Face model directory, for every architecture: {@code config.json} and the weights,
 * {@code model.safetensors} or {@code model.safetensors.index.json} and its shards.
 *
 * <pre>{@code
 * LlamaConfig config = CheckpointDirectory.config(dir, LlamaConfig::read, LlamaConfig::parameterCount);
 * CheckpointDirectory.save(model, model.config().toJson(), out);
 * }</pre>
 */
public final class CheckpointDirectory {

    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The sharded weights index name. */
    public static final String SHARD_INDEX = "model.safetensors.index.json";
    /** The config file name. */
    public static final String CONFIG_FILE = "config.json";

    /**
     * Reads a config file.
     *
     * @param <C> the config type
     */
    @FunctionalInterface
    public interface ConfigReader<C> {

        /**
         * Reads the file.
         *
         * @param file the config.json path
         * @return the config
         * @throws IOException when the file is missing or not a valid config
         */
        C read(Path file) throws IOException;
    }

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

    /**
     * Reads the {@code config.json} of a model directory and checks that the model it describes fits
     * in memory, before anything is allocated.
     *
     * @param <C> the config type
     * @param dir the model directory
     * @param reader the architecture's config reader
     * @param parameterCount the number of parameters a config describes
     * @return the config
     * @throws IOException when the config is missing or invalid, or the model would not fit
     */
    public static <C> C config(Path dir, ConfigReader<C> reader, ToLongFunction<C> parameterCount)
            throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        C config = reader.read(file);
        ModelMemory.requireFits(parameterCount.applyAsLong(config), file.toString());
        return config;
    }

    /**
     * Writes a model directory: {@code config.json} and one {@code model.safetensors} with every
     * parameter under its Hugging Face name.
     *
     * @param model a loaded or initialised model with Hugging Face module names
     * @param configJson the config.json text
     * @param dir the directory to create or overwrite files in
     * @throws IOException when writing fails
     */
    public static void save(Block model, String configJson, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), configJson);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, Parameter> entry : ParameterNames.of(model).entrySet()) {
            writer.addArray(entry.getKey(), entry.getValue().getArray());
        }
        writer.write(dir.resolve(SINGLE_FILE));
    }
}

package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.models.checkpoint.PretrainedWeights;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds and saves T5 models as Hugging Face model directories (config.json + safetensors, single
 * or sharded). Checkpoints may also carry the tied copies {@code encoder.embed_tokens.weight},
 * {@code decoder.embed_tokens.weight} and, for tied models, {@code lm_head.weight}; they are
 * reported as unexpected and {@code shared.weight} is used.
 *
 * <pre>{@code
 * T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(Path.of("flan-t5-small"), manager);
 * T5EncoderModel encoder = T5Models.encoderFromCheckpoint(Path.of("flan-t5-small"), manager);
 * }</pre>
 */
public final class T5Models {

    private T5Models() {}

    /**
     * Loads a model directory as an encoder-decoder with its LM head.
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded model
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static T5ForConditionalGeneration fromCheckpoint(Path dir, NDManager manager) throws IOException {
        T5ForConditionalGeneration model = new T5ForConditionalGeneration(T5Config.read(dir.resolve("config.json")));
        load(model, dir, manager);
        return model;
    }

    /**
     * Loads the encoder of a model directory ({@code shared} and {@code encoder}).
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded encoder
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static T5EncoderModel encoderFromCheckpoint(Path dir, NDManager manager) throws IOException {
        T5EncoderModel model = new T5EncoderModel(T5Config.read(dir.resolve("config.json")));
        load(model, dir, manager);
        return model;
    }

    private static void load(Block model, Path dir, NDManager manager) throws IOException {
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            PretrainedWeights.load(model, weights, manager, new CheckpointLoader().basePrefixes());
        }
    }

    /**
     * Writes {@code config.json} and one {@code model.safetensors} with every parameter under its
     * Hugging Face name.
     *
     * @param model a loaded or initialised model
     * @param dir the directory to create or overwrite files in
     * @throws IOException when writing fails
     */
    public static void save(T5ForConditionalGeneration model, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), model.config().toJson());
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, Parameter> entry : ParameterNames.of(model).entrySet()) {
            writer.addArray(entry.getKey(), entry.getValue().getArray());
        }
        writer.write(dir.resolve(CheckpointDirectory.SINGLE_FILE));
    }
}

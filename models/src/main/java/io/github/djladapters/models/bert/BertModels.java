package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.checkpoint.PretrainedWeights;
import io.github.djladapters.runtime.safetensors.TensorSource;
import io.github.djladapters.models.onnx.OnnxWeights;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds BERT-family models with pretrained weights: from a Hugging Face model directory
 * (config.json + safetensors) or from the initializers of an ONNX export.
 *
 * <pre>{@code
 * try (NDManager manager = NDManager.newBaseManager()) {
 *     BertModel model = BertModels.fromCheckpoint(Path.of("all-MiniLM-L6-v2"), manager);
 * }
 * }</pre>
 */
public final class BertModels {

    private BertModels() {}

    /**
     * Loads a Hugging Face model directory: {@code config.json} and {@code model.safetensors} or a
     * sharded index. A {@code pooler} is built when the checkpoint has pooler weights; task-model
     * checkpoints ({@code bert.} keys) load their base model and report the head keys as unexpected.
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded model
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static BertModel fromCheckpoint(Path dir, NDManager manager) throws IOException {
        BertConfig config = CheckpointDirectory.config(dir, BertConfig::read, BertConfig::parameterCount);
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            boolean pooler = weights.tensors().keySet().stream()
                    .anyMatch(k -> k.startsWith("pooler.") || k.startsWith(config.baseModelPrefix() + ".pooler."));
            BertModel model = new BertModel(config, pooler);
            load(model, weights, manager);
            return model;
        }
    }

    /**
     * Loads the weights of an ONNX export of a BERT-family model.
     *
     * @param onnx the .onnx file
     * @param config the architecture (ONNX files carry no config.json)
     * @param manager owns the parameters
     * @return the loaded model, without pooler
     * @throws IOException when the file is malformed or its weights do not fit the config
     */
    public static BertModel fromOnnx(Path onnx, BertConfig config, NDManager manager) throws IOException {
        try (OnnxWeights weights = OnnxWeights.open(onnx)) {
            BertModel model = new BertModel(config, false);
            load(model, weights, manager);
            return model;
        }
    }

    /**
     * Initialises any block tree with unfilled parameters and loads {@code weights} into it, all or
     * nothing; the parameters are closed again when loading fails.
     *
     * @param model a model with Hugging Face module names, not yet initialised
     * @param weights the tensors
     * @param manager owns the parameters
     * @throws IOException when the weights do not fit
     */
    public static void load(Block model, TensorSource weights, NDManager manager) throws IOException {
        // position_ids is a buffer (0, 1, 2, ...) that some checkpoints carry
        PretrainedWeights.load(model, weights, manager,
                new CheckpointLoader().ignoreUnexpected(key -> key.endsWith("embeddings.position_ids")));
    }

    /**
     * Writes a model directory: {@code config.json} and a single {@code model.safetensors} with the
     * model's float32 parameters under their Hugging Face names.
     *
     * @param model a loaded or initialised model
     * @param dir the directory to create or overwrite files in
     * @throws IOException when writing fails
     */
    public static void save(BertModel model, Path dir) throws IOException {
        CheckpointDirectory.save(model, model.config().toJson(), dir);
    }
}

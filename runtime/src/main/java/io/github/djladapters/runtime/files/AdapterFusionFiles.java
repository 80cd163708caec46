package io.github.djladapters.runtime.files;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdapterFusionConfig;
import io.github.djladapters.runtime.methods.ConfigJson;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An AdapterFusion layer on disk in the Adapters library's layout: {@code adapter_fusion_config.json}
 * ({@code {"config": {...}, "name": "a,b"}}) and {@code model_adapter_fusion.safetensors} with the
 * library's keys, {@code <site>.adapter_fusion_layer.<name>.query.weight} and so on. Saving is atomic.
 */
public final class AdapterFusionFiles {

    /** The library's {@code ADAPTERFUSION_CONFIG_NAME}. */
    public static final String CONFIG_FILE = "adapter_fusion_config.json";

    /** The library's {@code SAFE_ADAPTERFUSION_WEIGHTS_NAME}. */
    public static final String WEIGHTS_FILE = "model_adapter_fusion.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private static final List<String> CONFIG_KEYS = List.of("key", "query", "value", "query_before_ln",
            "regularization", "residual_before", "temperature", "value_before_softmax", "value_initialized");

    private AdapterFusionFiles() {}

    /**
     * A fusion read back: its name, config and tensors by file key.
     *
     * @param name the library's fusion name, the adapters joined by commas
     * @param config the config
     * @param tensors key to tensor, owned by the manager given to {@link #read}
     */
    public record Loaded(String name, AdapterFusionConfig config, Map<String, NDArray> tensors) {}

    /**
     * Writes a fusion into a folder, both files moved into place together.
     *
     * @param dir the folder, created when missing
     * @param name the fusion's name
     * @param config its config
     * @param tensors key to tensor
     * @throws IOException when writing fails; earlier files are then left as they were
     */
    public static void save(Path dir, String name, AdapterFusionConfig config, Map<String, NDArray> tensors)
            throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.set("config", JSON.valueToTree(config));
        root.put("name", name);
        SafetensorsWriter writer = new SafetensorsWriter();
        tensors.forEach(writer::addArray);
        try (StagedFiles files = new StagedFiles()) {
            files.write(dir.resolve(CONFIG_FILE), JSON.writeValueAsBytes(root));
            files.stage(dir.resolve(WEIGHTS_FILE), writer::write);
            files.commit();
        }
    }

    /**
     * Reads a fusion saved by {@link #save} or by the Adapters library (safetensors weights).
     *
     * @param dir the folder
     * @param manager receives the tensors
     * @return the fusion
     * @throws CheckpointException naming the file and key when a file is missing or malformed
     * @throws IOException when a file cannot be read
     */
    public static Loaded read(Path dir, NDManager manager) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(configFile + ": missing (an adapter fusion folder holds " + CONFIG_FILE
                    + " and " + WEIGHTS_FILE + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(SmallFiles.read(configFile));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new CheckpointException(configFile + ": not JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode name = root == null ? null : root.get("name");
        JsonNode config = root == null ? null : root.get("config");
        if (name == null || !name.isTextual() || name.asText().isEmpty()) {
            throw new CheckpointException(configFile + ": key 'name': expected the fusion's name, such as \"a,b\"");
        }
        if (config == null || !config.isObject()) {
            throw new CheckpointException(configFile + ": key 'config': expected an object of fusion settings");
        }
        for (String key : CONFIG_KEYS) {
            if (!config.has(key) || !config.get(key).isBoolean()) {
                throw new CheckpointException(configFile + ": key 'config." + key + "': expected true or false");
            }
        }
        AdapterFusionConfig fusion = ConfigJson.bind(configFile, config, AdapterFusionConfig.class);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new CheckpointException(weights + ": missing");
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (TensorInfo info : file.tensors().values()) {
                ByteBuffer values = file.readFloat32(info.name());
                tensors.put(info.name(), manager.create(values.asFloatBuffer(), info.shape()));
            }
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(weights + ": " + e.getMessage(), e);
        }
        return new Loaded(name.asText(), fusion, tensors);
    }
}

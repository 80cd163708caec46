package io.github.djladapters.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.checkpoint.SafetensorsFile;
import io.github.djladapters.models.checkpoint.SafetensorsWriter;
import io.github.djladapters.models.checkpoint.TensorInfo;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Saves and loads one adapter in PEFT's directory layout: {@value #CONFIG_FILE} (the config under
 * PEFT's field names, with {@code peft_type}) and {@value #WEIGHTS_FILE} (the tensors under PEFT's
 * keys, {@code base_model.model.<module path>.lora_A.weight} and so on).
 *
 * <pre>{@code
 * AdapterFiles.save(adapters, "reviews", Path.of("out/reviews"), "sentence-transformers/all-MiniLM-L6-v2");
 * AdapterFiles.load(freshAdapters, Path.of("out/reviews"), "reviews");
 * }</pre>
 */
public final class AdapterFiles {

    /** PEFT's config file name. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** PEFT's weights file name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdapterFiles() {}

    /**
     * Writes adapter {@code name} of {@code model} into {@code dir}.
     *
     * @param model the model holding the adapter
     * @param name the adapter
     * @param dir the directory, created when missing
     * @param baseModel recorded as PEFT's {@code base_model_name_or_path}
     * @throws IOException when writing fails
     */
    public static void save(AdapterModel<?> model, String name, Path dir, String baseModel) throws IOException {
        Files.createDirectories(dir);
        ObjectNode config = JSON.valueToTree(model.adapterConfig(name));
        config.put("base_model_name_or_path", baseModel);
        config.put("task_type", "SEQ_CLS");
        Files.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(config), StandardCharsets.UTF_8);
        try (NDManager scope = NDManager.newBaseManager()) {
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            model.adapterTensors(name, scope).forEach(writer::addArray);
            writer.write(dir.resolve(WEIGHTS_FILE));
        }
    }

    /**
     * Reads the config of a saved adapter.
     *
     * @param dir a directory written by {@link #save} or by PEFT
     * @return the config, a {@link LoRAConfig} or an {@link IA3Config}
     * @throws IOException when the file is missing or names an unsupported {@code peft_type}
     */
    public static AdapterConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("no " + CONFIG_FILE + " in " + dir);
        }
        return readConfigFile(file);
    }

    /**
     * Reads an adapter config from a JSON file with PEFT's field names and {@code peft_type}.
     *
     * @param file the JSON file
     * @return the config, a {@link LoRAConfig} or an {@link IA3Config}
     * @throws IOException when the file is missing, malformed or names an unsupported {@code peft_type}
     */
    public static AdapterConfig readConfigFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("config file not found: " + file);
        }
        JsonNode node = JSON.readTree(file.toFile());
        String type = node.path("peft_type").asText("");
        return switch (type) {
            case "LORA" -> JSON.treeToValue(node, LoRAConfig.class);
            case "IA3" -> JSON.treeToValue(node, IA3Config.class);
            default -> throw new IOException(file + ": peft_type '" + type + "' is not supported (LORA, IA3)");
        };
    }

    /**
     * Adds the adapter saved in {@code dir} to {@code model} under {@code name}, with its weights.
     *
     * @param model a model without an adapter called {@code name}
     * @param dir the adapter directory
     * @param name the name to give it
     * @throws IOException when a file is missing or malformed, or the weights do not fit the model
     */
    public static void load(AdapterModel<?> model, Path dir, String name) throws IOException {
        AdapterConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IOException("no " + WEIGHTS_FILE + " in " + dir);
        }
        model.addAdapter(name, config);
        try (NDManager scope = NDManager.newBaseManager(); SafetensorsFile file = SafetensorsFile.open(weights)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (TensorInfo info : file.tensors().values()) {
                Shape shape = info.shape();
                tensors.put(info.name(), scope.create(file.readFloat32(info.name()).asFloatBuffer(), shape));
            }
            model.loadAdapterTensors(name, tensors);
        } catch (IllegalArgumentException e) {
            model.deleteAdapter(name);
            throw new IOException(weights + ": " + e.getMessage(), e);
        }
    }
}

package io.github.djladapters.runtime.files;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Adapters library's (AdapterHub's) saved folder: {@code adapter_config.json} holds
 * {@code {"config": {...the method's keys...}, "name", "model_name", "model_type", "model_class",
 * "hidden_size", "version"}} and {@code adapter.safetensors} the model's state-dict keys of the
 * adapter. The method whose {@link AdaptersLibraryFormat} reads the {@code "config"} object parses it
 * and maps its tensor keys; this class handles the folder.
 */
final class AdaptersLibraryLayout {

    /** The adapters library's weights file. */
    static final String WEIGHTS_FILE = "adapter.safetensors";

    /** The version this project writes as {@code version}: the library release whose layout it follows. */
    static final String VERSION = "adapters.1.2.0";

    private static final Set<String> TOP_LEVEL = Set.of("config", "hidden_size", "model_class", "model_name",
            "model_type", "name", "version");

    private static final ObjectMapper JSON = new ObjectMapper();

    private AdaptersLibraryLayout() {}

    static AdapterConfigFile readConfig(Path file, ObjectNode root) throws CheckpointException {
        ObjectNode config = (ObjectNode) root.get("config");
        List<String> readable = new ArrayList<>();
        for (MethodProvider<?> method : MethodRegistry.all()) {
            Optional<? extends AdaptersLibraryFormat<?>> format = method.adaptersLibraryFormat();
            if (format.isPresent()) {
                readable.add(method.name());
                if (format.get().reads(config)) {
                    AdaptersLibraryFormat.Parsed<?> parsed = format.get().read(file, root, config);
                    List<String> unknown = new ArrayList<>(parsed.unknownKeys());
                    root.fieldNames().forEachRemaining(k -> {
                        if (!TOP_LEVEL.contains(k)) {
                            unknown.add(k);
                        }
                    });
                    String name = root.path("name").isTextual() ? root.get("name").asText() : null;
                    return new AdapterConfigFile(file, (AdapterConfig) parsed.config(),
                            AdapterConfigFile.Layout.ADAPTERS_LIBRARY, name, unknown.stream().sorted().toList());
                }
            }
        }
        throw new CheckpointException(file + ": key 'config.architecture' is '" + config.path("architecture").asText("")
                + "'; no adapter method here reads it (methods with the Adapters library's layout: " + readable + ")");
    }

    /**
     * The method's format of a config read from this layout.
     *
     * @param config the config
     * @param <C> its type
     * @return the format
     */
    static <C extends AdapterConfig> AdaptersLibraryFormat<C> format(C config) {
        return MethodRegistry.forConfig(config).adaptersLibraryFormat().orElseThrow(() ->
                new IllegalArgumentException(config.getClass().getSimpleName()
                        + " has no Adapters library layout"));
    }

    /**
     * The weights file: the adapters library's {@code adapter.safetensors}, else PEFT's name.
     *
     * @param dir the adapter directory
     * @return the file, which may not exist
     */
    static Path weightsFile(Path dir) {
        Path own = dir.resolve(WEIGHTS_FILE);
        return Files.exists(own) ? own : dir.resolve(PeftAdapterFiles.WEIGHTS_FILE);
    }

    /**
     * Renames the file's keys to this project's.
     *
     * @param config the parsed config
     * @param keys the file's keys
     * @param savedName the adapter name in the file, or null for any
     * @param expected this project's keys of the adapter as added to the model
     * @return file key to key
     */
    static Map<String, String> internalKeys(AdapterConfig config, Set<String> keys, String savedName,
            Set<String> expected) {
        return format(config).internalKeys(keys, savedName, expected);
    }

    /**
     * Rewrites the tensors read from a library file before their keys are mapped (see
     * {@link AdaptersLibraryFormat#fromFileTensors}).
     *
     * @param config the parsed config
     * @param file for messages
     * @param tensors file key to tensor
     * @return file key to tensor
     * @throws CheckpointException naming the file and key for tensors that do not fit
     */
    static Map<String, NDArray> fromFileTensors(AdapterConfig config, Path file, Map<String, NDArray> tensors)
            throws CheckpointException {
        return format(config).fromFileTensors(file, tensors);
    }

    /**
     * Stages one adapter in the library's layout: {@code adapter_config.json} (its
     * {@code build_full_config} keys: {@code config}, {@code hidden_size}, {@code model_class},
     * {@code model_name}, {@code model_type}, {@code name}, {@code version}) and
     * {@code adapter.safetensors} under the library's state-dict keys.
     *
     * @param files the staged files
     * @param model the model
     * @param name the adapter
     * @param folder the folder
     * @param config its config
     * @param format the method's format
     * @throws IOException when writing fails
     */
    static void stage(StagedFiles files, AdapterStore model, String name, Path folder, AdapterConfig config,
            AdaptersLibraryFormat<AdapterConfig> format) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.set("config", format.writeConfig(config));
        root.putNull("hidden_size");
        root.put("model_class", model.boundModel().model().getClass().getSimpleName());
        root.put("model_name", model.baseModelNameOrPath());
        root.putNull("model_type");
        root.put("name", name);
        root.put("version", VERSION);
        Files.createDirectories(folder);
        files.stage(folder.resolve(WEIGHTS_FILE),
                path -> PeftAdapterFiles.writeWeights(model, name, path, key -> format.fileKey(key, name),
                        tensors -> format.toFileTensors(config, tensors)));
        files.write(folder.resolve(PeftAdapterFiles.CONFIG_FILE),
                PythonJson.write(root).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}

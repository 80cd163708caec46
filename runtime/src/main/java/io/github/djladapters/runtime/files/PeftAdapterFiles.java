package io.github.djladapters.runtime.files;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Saves and loads adapters in Hugging Face PEFT's folder layout, the file side of
 * {@code AdapterModel.saveAdapter} and {@code AdapterModel.loadAdapter}. A method that PEFT has is
 * saved in PEFT's layout; a method only the Adapters library has, in that library's layout
 * (see {@link AdaptersLibraryLayout}). A folder holds
 * {@code adapter_config.json}, {@code adapter_model.safetensors} (PEFT's tensor keys, F32, sorted,
 * metadata {@code {"format": "pt"}}; copies of {@code modules_to_save} under
 * {@code base_model.model.<module path>.<parameter>}, the older
 * {@code <module path>.modules_to_save.<parameter>} read as well) and a {@code README.md} model
 * card; the adapter named {@value #DEFAULT_ADAPTER} goes to the folder itself, others to a subfolder
 * of their name, as PEFT's {@code save_pretrained}. Saving stages every file and then moves them into place; loading checks
 * everything and leaves the model unchanged when anything does not fit.
 */
public final class PeftAdapterFiles {

    /** PEFT's config file name. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** PEFT's weights file name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The model card's file name. */
    public static final String MODEL_CARD_FILE = "README.md";
    /** The adapter name PEFT saves to the folder itself. */
    public static final String DEFAULT_ADAPTER = "default";
    /** The prefix of PEFT's tensor keys. */
    static final String KEY_PREFIX = "base_model.model.";

    private PeftAdapterFiles() {}

    /**
     * Saves adapters, all of them when no name is given.
     *
     * @param model the model holding them
     * @param dir the folder; {@value #DEFAULT_ADAPTER} goes here, others to {@code dir/<name>/}
     * @param names the adapters to save
     * @throws IOException when writing fails; files already there keep their content then
     * @throws IllegalArgumentException for an unknown adapter, a name that is no folder name, or none
     */
    public static void save(AdapterStore model, Path dir, String... names) throws IOException {
        Set<String> selected = new LinkedHashSet<>(names.length == 0 ? model.adapters() : List.of(names));
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("the model has no adapters to save");
        }
        for (String name : selected) {
            model.adapterConfig(name); // fails for an unknown name before any file is written
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")) {
                throw new IllegalArgumentException("adapter name '" + name + "' cannot name a folder");
            }
        }
        try (StagedFiles files = new StagedFiles()) {
            for (String name : selected) {
                stage(files, model, name, DEFAULT_ADAPTER.equals(name) ? dir : dir.resolve(name));
            }
            files.commit();
        }
    }

    /**
     * Saves one adapter into {@code folder} itself, whatever its name: the layout of one PEFT adapter
     * folder, for tools that keep one adapter per output folder.
     *
     * @param model the model holding it
     * @param name the adapter
     * @param folder the folder, created when missing
     * @throws IOException when writing fails; files already there keep their content then
     * @throws IllegalArgumentException for an unknown adapter
     */
    public static void saveFolder(AdapterStore model, String name, Path folder) throws IOException {
        model.adapterConfig(name); // fails for an unknown name before any file is written
        try (StagedFiles files = new StagedFiles()) {
            stage(files, model, name, folder);
            files.commit();
        }
    }

    private static void stage(StagedFiles files, AdapterStore model, String name, Path folder) throws IOException {
        AdapterConfig config = model.adapterConfig(name);
        MethodProvider<AdapterConfig> method = MethodRegistry.forConfig(config);
        Optional<PeftFormat<AdapterConfig>> peft = method.peftFormat();
        if (peft.isEmpty()) {
            AdaptersLibraryFormat<AdapterConfig> library = method.adaptersLibraryFormat().filter(
                    AdaptersLibraryFormat::writes).orElseThrow(() -> new IllegalArgumentException("adapter '" + name
                    + "' is " + method.name() + ", which has no file layout (neither PEFT's nor the Adapters"
                    + " library's); nothing was written"));
            AdaptersLibraryLayout.stage(files, model, name, folder, config, library);
            return;
        }
        AdapterConfig saved = peft.get().configToSave(config, model.boundModel(), methodAttachments(model, name),
                name);
        Files.createDirectories(folder);
        PeftFormat<AdapterConfig> format = peft.get();
        files.stage(folder.resolve(WEIGHTS_FILE), path -> writeWeights(model, name, path, format::fileKey));
        files.write(folder.resolve(CONFIG_FILE), PeftConfigWriter.bytes(saved, model.baseModelNameOrPath()));
        files.write(folder.resolve(MODEL_CARD_FILE), ModelCard.text(name, saved.peftType(),
                model.baseModelNameOrPath()).getBytes(StandardCharsets.UTF_8));
    }

    /** The attachments of one adapter, without its copies of modules to save. */
    static List<AdapterAttachment> methodAttachments(AdapterStore model, String name) {
        List<AdapterAttachment> attachments = new ArrayList<>();
        for (AdapterAttachment attachment : model.attachments()) {
            if (attachment.adapterNames().contains(name) && !(attachment instanceof ModulesToSaveLayer)) {
                attachments.add(attachment);
            }
        }
        return attachments;
    }

    /**
     * Writes one adapter's tensors, F32, sorted by file key, with metadata {@code {"format": "pt"}}.
     *
     * @param model the model
     * @param name the adapter
     * @param path the file
     * @param fileKey this project's key to the file's key
     * @throws IOException when writing fails
     */
    static void writeWeights(AdapterStore model, String name, Path path,
            java.util.function.UnaryOperator<String> fileKey) throws IOException {
        writeWeights(model, name, path, fileKey, java.util.function.UnaryOperator.identity());
    }

    /**
     * Writes an adapter's tensors under file keys, rewritten by {@code rewrite} (by file key) first.
     *
     * @param model the model
     * @param name the adapter
     * @param path the file
     * @param fileKey this project's key to the file's
     * @param rewrite file key to tensor, rewritten
     * @throws IOException when writing fails
     */
    static void writeWeights(AdapterStore model, String name, Path path,
            java.util.function.UnaryOperator<String> fileKey,
            java.util.function.UnaryOperator<Map<String, NDArray>> rewrite) throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> keyed = new LinkedHashMap<>();
            model.adapterTensors(name, scope).forEach((key, value) -> keyed.put(fileKey.apply(key), value));
            Map<String, NDArray> sorted = new TreeMap<>(rewrite.apply(keyed));
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            for (Map.Entry<String, NDArray> tensor : sorted.entrySet()) {
                NDArray value = tensor.getValue().getDataType() == DataType.FLOAT32 ? tensor.getValue()
                        : tensor.getValue().toType(DataType.FLOAT32, false);
                writer.addArray(tensor.getKey(), value);
            }
            writer.write(path);
        }
    }

    /**
     * Loads an adapter saved by PEFT, by {@link #save} or by the adapters library, and adds it under
     * a name. All or nothing: on any error the adapter is not added and the model is as before.
     *
     * @param model the model to add it to
     * @param dir the adapter's folder (holding {@value #CONFIG_FILE})
     * @param name the name to add it under
     * @throws CheckpointException naming the file and the key when a file is missing or malformed,
     *     names an unsupported feature, or its tensors do not fit the adapter (missing, unexpected or
     *     wrong-shaped keys)
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException when the model already has an adapter of that name
     */
    public static void load(AdapterStore model, Path dir, String name) throws IOException {
        if (model.adapters().contains(name)) {
            throw new IllegalArgumentException("an adapter named '" + name + "' already exists");
        }
        AdapterConfigFile config = AdapterConfigFile.read(dir.resolve(CONFIG_FILE));
        boolean peft = config.layout() == AdapterConfigFile.Layout.PEFT;
        Path weights = peft ? dir.resolve(WEIGHTS_FILE) : AdaptersLibraryLayout.weightsFile(dir);
        if (!Files.isRegularFile(weights)) {
            throw new CheckpointException(weights + ": missing; an adapter folder holds " + CONFIG_FILE + " and "
                    + WEIGHTS_FILE);
        }
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (TensorInfo info : file.tensors().values()) {
                if (!info.dtype().isFloating()) {
                    throw new CheckpointException(weights + ": tensor '" + info.name() + "' has dtype " + info.dtype()
                            + "; adapter tensors are floating point");
                }
            }
            try {
                model.addAdapter(name, config.config());
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(config.file() + ": " + e.getMessage(), e);
            }
            boolean loaded = false;
            try {
                loadTensors(model, name, file, peft ? null : config);
                loaded = true;
            } finally {
                if (!loaded) {
                    model.deleteAdapter(name);
                }
            }
        }
    }

    private static void loadTensors(AdapterStore model, String name, SafetensorsFile file,
            AdapterConfigFile adaptersLibrary) throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> read = new LinkedHashMap<>();
            for (Map.Entry<String, TensorInfo> tensor : file.tensors().entrySet()) {
                read.put(tensor.getKey(), scope.create(file.readFloat32(tensor.getKey()), tensor.getValue().shape(),
                        DataType.FLOAT32));
            }
            if (adaptersLibrary != null) {
                read = AdaptersLibraryLayout.fromFileTensors(adaptersLibrary.config(), file.path(), read);
            }
            Map<String, String> keys = new LinkedHashMap<>();
            Optional<PeftFormat<AdapterConfig>> peft = MethodRegistry.forConfig(model.adapterConfig(name)).peftFormat();
            read.keySet().forEach(k -> keys.put(k, adaptersLibrary == null && peft.isPresent()
                    ? peft.get().internalKey(k) : k));
            if (adaptersLibrary != null) {
                Set<String> expected = model.adapterTensors(name, scope).keySet();
                keys.putAll(AdaptersLibraryLayout.internalKeys(adaptersLibrary.config(), read.keySet(),
                        adaptersLibrary.savedName(), expected));
            }
            SavedModuleKeys saved = new SavedModuleKeys(model, name);
            keys.replaceAll((stored, key) -> saved.current(key));
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Map<String, String> storedAs = new LinkedHashMap<>();
            List<String> duplicates = new ArrayList<>();
            for (Map.Entry<String, String> key : keys.entrySet()) {
                NDArray value = read.get(key.getKey());
                String earlier = storedAs.put(key.getValue(), key.getKey());
                if (tensors.put(key.getValue(), value) != null) {
                    duplicates.add(key.getKey() + " (as " + earlier + ")");
                }
            }
            if (!duplicates.isEmpty()) {
                throw new CheckpointException(file.path() + ": keys " + duplicates + " name the same tensor again");
            }
            try {
                model.loadAdapterTensors(name, tensors);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file.path() + ": " + e.getMessage(), e);
            }
        }
    }
}

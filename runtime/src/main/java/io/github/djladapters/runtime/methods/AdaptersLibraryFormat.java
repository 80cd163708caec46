package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * How a method appears in the Adapters library's (AdapterHub's) saved folder:
 * {@code adapter_config.json} holds the method's keys under {@code "config"}, the weights file holds
 * the model's state-dict keys of the adapter. The method reads and writes the {@code "config"} object
 * and maps tensor keys between the library's and this project's
 * ({@code base_model.model.<attachment module path>.<suffix>}); the folder itself is the caller's.
 *
 * @param <C> the config record
 */
public interface AdaptersLibraryFormat<C extends AdapterConfig> {

    /** A parsed {@code "config"} object and the keys in it that were not understood. */
    record Parsed<C>(C config, List<String> unknownKeys) {}

    /**
     * A file key of one adapter, taken apart: the module path in the library's model, and what
     * follows it in the internal key.
     *
     * @param modulePath for example {@code bert.encoder.layer.0.attention.self.query}
     * @param suffix for example {@code .lora_A.weight}
     */
    record SavedKey(String modulePath, String suffix) {}

    /**
     * Renames file keys to internal keys ({@code base_model.model.<module path><suffix>}). The
     * library's module paths start at its model class (a head model's {@code bert.}), so leading
     * parts are dropped until the key is one of the expected ones; a key that never is, or that
     * {@code parse} does not take, keeps its name, for the caller to report.
     *
     * @param fileKeys the keys in the file
     * @param expected the internal keys the adapter has
     * @param parse a key of the adapter taken apart, or null for any other key
     * @return each file key to its internal key
     */
    static Map<String, String> renameKeys(Set<String> fileKeys, Set<String> expected,
            Function<String, SavedKey> parse) {
        Map<String, String> renamed = new LinkedHashMap<>();
        for (String key : fileKeys) {
            SavedKey saved = parse.apply(key);
            String target = key;
            if (saved != null) {
                String path = saved.modulePath();
                target = INTERNAL_PREFIX + path + saved.suffix();
                while (!expected.contains(target) && path.contains(".")) {
                    path = path.substring(path.indexOf('.') + 1);
                    target = INTERNAL_PREFIX + path + saved.suffix();
                }
                target = expected.contains(target) ? target : key;
            }
            renamed.put(key, target);
        }
        return renamed;
    }

    /** What an internal key starts with, before the attachment's module path. */
    String INTERNAL_PREFIX = "base_model.model.";

    /**
     * Whether a {@code "config"} object describes this method.
     *
     * @param config the object
     * @return for example true when its {@code architecture} is {@code "lora"}
     */
    boolean reads(ObjectNode config);

    /**
     * Parses the {@code "config"} object.
     *
     * @param file for messages
     * @param root the whole file (its {@code version}, {@code name}, ...)
     * @param config the {@code "config"} object
     * @return the config and the keys not understood (named {@code config.<key>})
     * @throws CheckpointException naming the file and key for a value not supported here
     */
    Parsed<C> read(Path file, ObjectNode root, ObjectNode config) throws CheckpointException;

    /**
     * Maps the file's tensor keys to this project's keys.
     *
     * @param fileKeys the keys in the weights file
     * @param savedName the adapter name in the file, or null for any
     * @param expected this project's keys of the adapter as added to the model
     * @return file key to key; a key that fits nothing maps to itself (reported as unexpected)
     */
    Map<String, String> internalKeys(Set<String> fileKeys, String savedName, Set<String> expected);

    /**
     * Rewrites the tensors read from the library's file (by file key) before their keys are mapped,
     * for a method whose library state dict holds other tensors than this project keeps (ReFT's
     * orthogonal parametrization).
     *
     * @param file for messages
     * @param tensors file key to tensor, as read
     * @return file key to tensor; by default {@code tensors}
     * @throws CheckpointException naming the file and key for tensors that do not fit
     */
    default Map<String, NDArray> fromFileTensors(Path file, Map<String, NDArray> tensors) throws CheckpointException {
        return tensors;
    }

    /**
     * Rewrites the tensors about to be written (by the library's file key), the inverse of
     * {@link #fromFileTensors}.
     *
     * @param config the adapter's config
     * @param tensors file key to tensor
     * @return file key to tensor; by default {@code tensors}
     */
    default Map<String, NDArray> toFileTensors(C config, Map<String, NDArray> tensors) {
        return tensors;
    }

    /**
     * Whether saving in this layout is supported (methods PEFT has are saved in PEFT's layout).
     *
     * @return false unless overridden
     */
    default boolean writes() {
        return false;
    }

    /**
     * The {@code "config"} object to write.
     *
     * @param config the adapter's config
     * @return the object, with the library's key names
     */
    default ObjectNode writeConfig(C config) {
        throw new UnsupportedOperationException("this method is not written in the Adapters library's layout");
    }

    /**
     * The library's tensor key for one of this project's keys.
     *
     * @param key a key as {@code base_model.model.<module path>.<suffix>}
     * @param name the adapter name written into the file
     * @return the library's state-dict key
     */
    default String fileKey(String key, String name) {
        throw new UnsupportedOperationException("this method is not written in the Adapters library's layout");
    }
}

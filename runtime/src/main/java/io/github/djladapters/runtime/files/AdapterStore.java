package io.github.djladapters.runtime.files;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.BoundModel;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What saving and loading adapter folders need of a model with adapters; {@code AdapterModel}
 * implements it, so that this package does not depend on the facade.
 */
public interface AdapterStore {

    /**
     * The adapters, in the order they were added.
     *
     * @return adapter names
     */
    Set<String> adapters();

    /**
     * One adapter's config.
     *
     * @param name an adapter name
     * @return its config
     * @throws IllegalArgumentException for an unknown name
     */
    AdapterConfig adapterConfig(String name);

    /**
     * Adds an adapter.
     *
     * @param name a new name
     * @param config its config
     */
    void addAdapter(String name, AdapterConfig config);

    /**
     * Removes an adapter.
     *
     * @param name an adapter name
     */
    void deleteAdapter(String name);

    /**
     * Every attachment now in the model.
     *
     * @return the attachments
     */
    List<AdapterAttachment> attachments();

    /**
     * One adapter's tensors under this project's keys.
     *
     * @param name an adapter
     * @param manager receives copies
     * @return key to tensor
     */
    Map<String, NDArray> adapterTensors(String name, NDManager manager);

    /**
     * Sets one adapter's tensors, all or nothing.
     *
     * @param name an adapter
     * @param tensors key to tensor
     */
    void loadAdapterTensors(String name, Map<String, NDArray> tensors);

    /**
     * The base model's name for saved configs.
     *
     * @return the name, or null
     */
    String baseModelNameOrPath();

    /**
     * The bound model that methods see.
     *
     * @return the view
     */
    BoundModel boundModel();
}

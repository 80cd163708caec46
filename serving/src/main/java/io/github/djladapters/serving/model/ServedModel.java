package io.github.djladapters.serving.model;

import io.github.djladapters.serving.registry.AdapterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One base model as the server offers it: its name (the {@code --model} value as given), its
 * adapter registry and the tasks it serves.
 */
public final class ServedModel implements AutoCloseable {

    private final String name;
    private final String source;
    private final AdapterRegistry registry;
    private final EmbeddingService embeddings;
    private final GenerationService generation;
    private final ChatTemplate chatTemplate;
    private final List<AutoCloseable> resources;
    private final Map<String, Workflow> workflows = new ConcurrentHashMap<>();

    /**
     * A served model.
     *
     * @param name the name clients use, such as {@code all-MiniLM-L6-v2}
     * @param source where it was loaded from (a folder, or the Maven artifact of a built-in model)
     * @param registry its adapters
     * @param embeddings its embedding service, or null when it does not embed
     * @param generation its text generation service, or null when it does not generate
     * @param resources closed with the model (tokenizers, managers), in order
     */
    public ServedModel(String name, String source, AdapterRegistry registry, EmbeddingService embeddings,
            GenerationService generation, List<AutoCloseable> resources) {
        this(name, source, registry, embeddings, generation, null, resources);
    }

    /**
     * A served model that generates text, with a chat template.
     *
     * @param name the name clients use
     * @param source where it was loaded from
     * @param registry its adapters
     * @param embeddings its embedding service, or null when it does not embed
     * @param generation its text generation service, or null when it does not generate
     * @param chatTemplate its tokenizer's chat template, or null when it has none
     * @param resources closed with the model (tokenizers, managers), in order
     */
    public ServedModel(String name, String source, AdapterRegistry registry, EmbeddingService embeddings,
            GenerationService generation, ChatTemplate chatTemplate, List<AutoCloseable> resources) {
        this.chatTemplate = chatTemplate;
        this.name = name;
        this.source = source;
        this.registry = registry;
        this.embeddings = embeddings;
        this.generation = generation;
        this.resources = new ArrayList<>(resources);
    }

    /**
     * The name clients use.
     *
     * @return the {@code --model} value as given
     */
    public String name() {
        return name;
    }

    /**
     * Whether a client's model name means this model: the name as given or, for a folder, its last
     * path segment (a path with {@code /} cannot be one URL segment).
     *
     * @param requested the name in a path or body
     * @return true when it names this model
     */
    public boolean isNamed(String requested) {
        if (requested == null) {
            return false;
        }
        if (requested.equals(name)) {
            return true;
        }
        String tail = java.nio.file.Path.of(name).getFileName() == null ? name
                : java.nio.file.Path.of(name).getFileName().toString();
        return requested.equals(tail);
    }

    /**
     * Where the model was loaded from.
     *
     * @return a folder or an artifact
     */
    public String source() {
        return source;
    }

    /**
     * The model's adapters.
     *
     * @return the registry
     */
    public AdapterRegistry registry() {
        return registry;
    }

    /**
     * The embedding service.
     *
     * @return the service, or null for a model that does not embed
     */
    public EmbeddingService embeddings() {
        return embeddings;
    }

    /**
     * The generation service.
     *
     * @return the service, or null for a model that does not generate
     */
    public GenerationService generation() {
        return generation;
    }

    /**
     * The chat template that turns messages into a prompt.
     *
     * @return the template, or null when the model's tokenizer has none
     */
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /**
     * Adds a workflow, called by its name like a model.
     *
     * @param workflow a workflow read with {@link Workflow#read}
     * @throws IllegalArgumentException when its name is the model's or another workflow's
     */
    public void addWorkflow(Workflow workflow) {
        if (isNamed(workflow.name()) || workflows.putIfAbsent(workflow.name(), workflow) != null) {
            throw new IllegalArgumentException("workflow name '" + workflow.name() + "' is already taken");
        }
    }

    /**
     * A workflow by name.
     *
     * @param workflowName its name
     * @return the workflow, or null
     */
    public Workflow workflow(String workflowName) {
        return workflowName == null ? null : workflows.get(workflowName);
    }

    /**
     * Requests waiting for a batch.
     *
     * @return the queue depth of every service
     */
    public int queueDepth() {
        return (embeddings == null ? 0 : embeddings.queueDepth()) + (generation == null ? 0 : generation.queueDepth());
    }

    /**
     * Stops serving in order: the services fail what still waits for a batch and finish the batch
     * they run, then the registry refuses new work and frees every adapter version (weights and
     * classifier heads), then the resources close.
     */
    @Override
    public void close() throws Exception {
        if (embeddings != null) {
            embeddings.close();
        }
        if (generation != null) {
            generation.close();
        }
        registry.close(); // after the services: their batches are done, every version and head is freed
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }
}

package io.github.djladapters.serving.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.serving.registry.AdapterInfo;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.RegistryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * DJL Serving's workflow adapters: a workflow JSON that binds adapter names to (model, src) under
 * {@code configs.adapters} and calls them with the {@code ["adapter", "a1", "in"]} function. The
 * workflow is called by its name, {@code POST /predictions/{name}}, like a model.
 *
 * <pre>{@code
 * {"name": "summarize", "version": "0.1", "models": {"m": "all-MiniLM-L6-v2"},
 *  "configs": {"adapters": {"a1": {"model": "m", "src": "a1"}}},
 *  "workflow": {"out": ["adapter", "a1", "in"]}}
 * }</pre>
 *
 * <p>Steps are {@code ["adapter", <adapter>, <input>]} or {@code [<model>, <input>]} (the base
 * model), where an input is {@code in} (the request's inputs) or another step's name; the result is
 * step {@code out}. Every model must be the served model; every adapter is registered (src inside
 * the adapter root) when the workflow is read. With a decoder, a step's generated text can feed the
 * next step; with an encoder, only {@code in} can.
 *
 * @param name the name it is called by
 * @param models model alias to the model it names
 * @param steps step name to its function and arguments
 */
public record Workflow(String name, Map<String, String> models, Map<String, List<String>> steps) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads and checks a workflow file and registers its adapters.
     *
     * @param file the workflow JSON
     * @param model the served model
     * @return the workflow
     * @throws IOException naming the file and the field when it is unreadable or wrong
     */
    public static Workflow read(Path file, ServedModel model) throws IOException {
        JsonNode root = JSON.readTree(Files.readAllBytes(file));
        String name = text(file, root, "name");
        Map<String, String> models = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String target = entry.getValue().isTextual() ? entry.getValue().asText() : entry.getValue().path("modelUrl").asText("");
            if (!model.isNamed(target) && !target.equals(model.source())) {
                throw new IOException(file + ": models." + entry.getKey() + " is '" + target + "', but this server serves '"
                        + model.name() + "'");
            }
            models.put(entry.getKey(), target);
        }
        Map<String, List<String>> steps = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("workflow").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            List<String> call = new ArrayList<>();
            if (!entry.getValue().isArray()) {
                throw new IOException(file + ": workflow." + entry.getKey() + " must be a list such as [\"adapter\", \"a1\", \"in\"]");
            }
            entry.getValue().forEach(v -> call.add(v.asText()));
            steps.put(entry.getKey(), call);
        }
        Workflow workflow = new Workflow(name, models, steps);
        workflow.check(file);
        workflow.registerAdapters(file, root.path("configs").path("adapters"), model.registry());
        return workflow;
    }

    private static String text(Path file, JsonNode node, String field) throws IOException {
        if (!node.path(field).isTextual() || node.path(field).asText().isEmpty()) {
            throw new IOException(file + ": \"" + field + "\" must be a non-empty string");
        }
        return node.path(field).asText();
    }

    private void check(Path file) throws IOException {
        if (!steps.containsKey("out")) {
            throw new IOException(file + ": workflow has no \"out\" step");
        }
        for (Map.Entry<String, List<String>> step : steps.entrySet()) {
            List<String> call = step.getValue();
            boolean adapter = call.size() == 3 && call.get(0).equals("adapter");
            boolean base = call.size() == 2 && models.containsKey(call.get(0));
            if (!adapter && !base) {
                throw new IOException(file + ": workflow." + step.getKey() + " is " + call
                        + "; expected [\"adapter\", <adapter>, <input>] or [<model>, <input>] with a model of \"models\"");
            }
            String input = call.get(call.size() - 1);
            if (!input.equals("in") && !steps.containsKey(input)) {
                throw new IOException(file + ": workflow." + step.getKey() + " reads '" + input + "', which is neither in nor a step");
            }
        }
        for (String step : steps.keySet()) {
            Set<String> seen = new HashSet<>();
            for (String at = step; !at.equals("in"); at = last(steps.get(at))) {
                if (!seen.add(at)) {
                    throw new IOException(file + ": workflow steps form a cycle through '" + at + "'");
                }
            }
        }
    }

    private void registerAdapters(Path file, JsonNode adapters, AdapterRegistry registry) throws IOException {
        for (List<String> call : steps.values()) {
            if (call.get(0).equals("adapter") && !adapters.has(call.get(1))) {
                throw new IOException(file + ": adapter '" + call.get(1) + "' is used but not in configs.adapters");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = adapters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String src = entry.getValue().path("src").asText("");
            String ref = entry.getValue().path("model").asText("");
            if (!models.containsKey(ref)) {
                throw new IOException(file + ": configs.adapters." + entry.getKey() + ".model is '" + ref
                        + "', not a name in \"models\"");
            }
            try {
                Path resolved = registry.root().resolve(src);
                if (registry.contains(entry.getKey())) {
                    AdapterInfo existing = registry.describe(entry.getKey());
                    if (!Path.of(existing.src()).equals(resolved)) {
                        throw new IOException(file + ": adapter '" + entry.getKey() + "' is already registered from "
                                + existing.src() + ", not " + resolved);
                    }
                } else {
                    registry.register(entry.getKey(), src, true, false);
                }
            } catch (RegistryException e) {
                throw new IOException(file + ": configs.adapters." + entry.getKey() + ": " + e.getMessage(), e);
            }
        }
    }

    private static String last(List<String> call) {
        return call.get(call.size() - 1);
    }

    /**
     * Runs the workflow on a request's inputs.
     *
     * @param model the served model
     * @param inputs the request's texts
     * @param parameters its generation parameters (for a decoder)
     * @param generate makes a generation request from (prompt, adapter, parameters)
     * @return step {@code out}: per input an embedding (labels and scores for a saved classifier),
     *     or generated texts
     * @throws Exception when a step fails
     */
    public Object run(ServedModel model, List<String> inputs, JsonNode parameters, GenerationRequests generate)
            throws Exception {
        return evaluate("out", model, inputs, parameters, generate, new LinkedHashMap<>());
    }

    /** Builds the generation request of one prompt. */
    @FunctionalInterface
    public interface GenerationRequests {
        /**
         * A request.
         *
         * @param prompt the prompt
         * @param adapter the adapter, {@code ""} for the base model
         * @param parameters the request's parameters
         * @return the request
         */
        GenerationRequest of(String prompt, String adapter, JsonNode parameters);
    }

    private Object evaluate(String step, ServedModel model, List<String> inputs, JsonNode parameters,
            GenerationRequests generate, Map<String, Object> done) throws Exception {
        if (done.containsKey(step)) {
            return done.get(step);
        }
        List<String> call = steps.get(step);
        String adapter = call.get(0).equals("adapter") ? call.get(1) : "";
        String input = last(call);
        Object source = input.equals("in") ? inputs : evaluate(input, model, inputs, parameters, generate, done);
        if (!(source instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw new IllegalArgumentException("workflow " + name + ": step " + step + " reads embeddings from '" + input
                    + "'; an encoder's step can only read in");
        }
        @SuppressWarnings("unchecked")
        List<String> texts = (List<String>) source;
        Object result;
        if (model.generation() != null) {
            List<java.util.concurrent.CompletableFuture<Completion>> futures = new ArrayList<>();
            for (String text : texts) {
                futures.add(model.generation().generate(generate.of(text, adapter, parameters), null));
            }
            List<String> out = new ArrayList<>();
            for (java.util.concurrent.CompletableFuture<Completion> future : futures) {
                out.add(get(future).text());
            }
            result = out;
        } else {
            // as the inference API answers: a saved classifier's labels, any other adapter's embedding
            result = get(model.embeddings().embed(texts, Collections.nCopies(texts.size(), adapter))).rowOutputs();
        }
        done.put(step, result);
        return result;
    }

    private static <T> T get(java.util.concurrent.CompletableFuture<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}

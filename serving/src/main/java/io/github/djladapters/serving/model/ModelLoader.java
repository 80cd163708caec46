package io.github.djladapters.serving.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.AdapterRoot;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Opens the model named on the command line: the built-in {@value #BUILT_IN} (offline, from its ONNX
 * export on Maven Central), or a Hugging Face folder ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}) of a BERT-family encoder (served for embeddings) or of a GPT-2 or
 * Llama-family decoder (served for text generation); then registers every adapter folder of the
 * adapter root, as DJL Serving does with a model's {@code adapters/} folder.
 */
public final class ModelLoader {

    /** The built-in default model. */
    public static final String BUILT_IN = "all-MiniLM-L6-v2";

    private static final String BUILT_IN_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2";
    private static final int MAX_TOKENS = 256;

    private ModelLoader() {}

    /**
     * Opens a model and scans its adapter root.
     *
     * @param spec {@value #BUILT_IN} or a model folder; the name clients use
     * @param adapterRoot the adapter root; null for {@code <model folder>/adapters}
     * @param options residency limits and mode
     * @param batching batch size and wait
     * @param cacheDir where the built-in model's files are extracted once
     * @return the served model; adapters that failed to register are reported on standard error
     * @throws IOException when the model or the adapter root cannot be read
     */
    public static ServedModel open(String spec, Path adapterRoot, RegistryOptions options, BatchSettings batching,
            Path cacheDir) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            if (isBuiltIn(spec)) {
                BertModel bert = AllMiniLmL6V2.load(manager, cacheDir);
                PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cacheDir, MAX_TOKENS);
                resources.add(tokenizer);
                AdapterRegistry registry = registry(Adapters.init(bert), requireRoot(adapterRoot, spec), options);
                resources.add(manager);
                return new ServedModel(spec, AllMiniLmL6V2.MAVEN_COORDINATES, registry,
                        new EmbeddingService(registry, tokenizer, batching), null, resources);
            }
            Path dir = Path.of(spec);
            Path config = dir.resolve("config.json");
            if (!Files.isRegularFile(config)) {
                throw new IOException("model '" + spec + "' is neither " + BUILT_IN + " nor a model folder with config.json");
            }
            Path tokenizerFile = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(tokenizerFile)) {
                throw new IOException("no tokenizer.json in model folder " + dir);
            }
            Path root = requireRoot(adapterRoot == null ? dir.resolve("adapters") : adapterRoot, spec);
            JsonNode json = new ObjectMapper().readTree(config.toFile());
            String type = json.path("model_type").asText("");
            String source = dir.toAbsolutePath().toString();
            switch (type) {
                case "bert", "roberta" -> {
                    BertModel bert = BertModels.fromCheckpoint(dir, manager);
                    PaddedBatchTokenizer tokenizer = PaddedBatchTokenizer.open(tokenizerFile, MAX_TOKENS);
                    resources.add(tokenizer);
                    AdapterRegistry registry = registry(Adapters.init(bert), root, options);
                    resources.add(manager);
                    return new ServedModel(spec, source, registry, new EmbeddingService(registry, tokenizer, batching),
                            null, resources);
                }
                case "gpt2", "llama", "mistral", "qwen2" -> {
                    CausalLanguageModel decoder = type.equals("gpt2") ? GPT2Models.fromCheckpoint(dir, manager)
                            : LlamaModels.fromCheckpoint(dir, manager);
                    HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerFile)
                            .optAddSpecialTokens(true).build();
                    resources.add(tokenizer);
                    Set<Integer> eos = tokenIds(json.path("eos_token_id"));
                    int pad = json.path("pad_token_id").isInt() ? json.path("pad_token_id").asInt()
                            : eos.stream().findFirst().orElse(0);
                    AdapterRegistry registry = registry(Adapters.init(decoder), root, options);
                    resources.add(manager);
                    return new ServedModel(spec, source, registry, null,
                            new GenerationService(registry, decoder, tokenizer, eos, pad, batching),
                            ChatTemplate.read(dir), resources);
                }
                default -> throw new IOException(config + ": model_type '" + type
                        + "' is not served; expected bert, roberta, gpt2, llama, mistral or qwen2");
            }
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            manager.close();
            throw e;
        }
    }

    private static Path requireRoot(Path root, String spec) throws IOException {
        if (root == null) {
            throw new IOException("no adapter root: pass --adapters <folder> for model " + spec);
        }
        if (!Files.isDirectory(root)) {
            throw new IOException("adapter root " + root + " is not a folder");
        }
        return root;
    }

    /** Freezes the base and registers every adapter folder of the root; failures go to standard error. */
    private static AdapterRegistry registry(AdapterModel<?> model, Path root, RegistryOptions options) throws IOException {
        model.freezeModel(true);
        AdapterRegistry registry = new AdapterRegistry(model, new AdapterRoot(root), options);
        Map<String, String> failures = registry.scan();
        failures.forEach((name, why) -> System.err.println("adapter " + name + " not registered: " + why));
        return registry;
    }

    private static Set<Integer> tokenIds(JsonNode node) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (node.isInt()) {
            ids.add(node.asInt());
        }
        node.forEach(id -> ids.add(id.asInt()));
        return ids;
    }

    /**
     * Whether {@code spec} names the built-in model.
     *
     * @param spec a model name or folder
     * @return true for {@value #BUILT_IN} (any case) or its Hugging Face id
     */
    public static boolean isBuiltIn(String spec) {
        String lower = spec.toLowerCase(Locale.ROOT);
        return lower.equals(BUILT_IN.toLowerCase(Locale.ROOT)) || lower.equals(BUILT_IN_HUB_ID.toLowerCase(Locale.ROOT));
    }
}

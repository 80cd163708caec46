package io.github.djladapters.finetune;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A pretrained BERT-family encoder with its tokenizer, named the way the command line names it:
 * {@value #BUILT_IN} (the built-in default, read from Maven Central's ONNX export) or a Hugging Face
 * model directory holding {@code config.json}, {@code model.safetensors} and {@code tokenizer.json}.
 *
 * @param name the name it was opened by
 * @param model the loaded model
 * @param tokenizer its tokenizer; {@link #close()} frees it
 */
public record Encoder(String name, BertModel model, PaddedBatchTokenizer tokenizer) implements AutoCloseable {

    /** The built-in default model. */
    public static final String BUILT_IN = "all-MiniLM-L6-v2";

    /** Its Hugging Face id, recorded in saved adapters. */
    public static final String BUILT_IN_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2";

    /**
     * Opens an encoder.
     *
     * @param spec {@value #BUILT_IN} or a model directory
     * @param cacheDir where the built-in model's files are extracted once
     * @param manager owns the parameters
     * @param maxLength the longest token sequence; longer texts are truncated
     * @return the encoder
     * @throws IOException when the model cannot be found or read
     */
    public static Encoder open(String spec, Path cacheDir, NDManager manager, int maxLength) throws IOException {
        if (isBuiltIn(spec)) {
            return new Encoder(BUILT_IN, AllMiniLmL6V2.load(manager, cacheDir), AllMiniLmL6V2.tokenizer(cacheDir, maxLength));
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new IOException("model '" + spec + "' is neither " + BUILT_IN
                    + " nor a model directory (config.json, model.safetensors, tokenizer.json)");
        }
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new IOException("no tokenizer.json in model directory " + dir);
        }
        BertModel model = BertModels.fromCheckpoint(dir, manager);
        return new Encoder(dir.toString(), model, PaddedBatchTokenizer.open(tokenizer, maxLength));
    }

    /**
     * Whether {@code spec} names the built-in model.
     *
     * @param spec a model name or directory
     * @return true for {@value #BUILT_IN}, case-insensitively, or its Hugging Face id
     */
    public static boolean isBuiltIn(String spec) {
        String lower = spec.toLowerCase(Locale.ROOT);
        return lower.equals(BUILT_IN.toLowerCase(Locale.ROOT)) || lower.equals(BUILT_IN_HUB_ID.toLowerCase(Locale.ROOT));
    }

    /**
     * The id to record as PEFT's {@code base_model_name_or_path}.
     *
     * @return the Hugging Face id of the built-in model, else the directory
     */
    public String baseModelId() {
        return BUILT_IN.equals(name) ? BUILT_IN_HUB_ID : name;
    }

    /**
     * The number of parameters.
     *
     * @return the parameter count of the model
     */
    public long parameterCount() {
        return model.getParameters().stream().mapToLong(p -> p.getValue().getArray().size()).sum();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.Encoder;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class CommonOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = Encoder.BUILT_IN,
            description = "all-MiniLM-L6-v2 (built in, from Maven Central) or a Hugging Face model directory "
                    + "(config.json, model.safetensors, tokenizer.json). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the built-in model's files are extracted once. Default: ~/.cache/djl-adapters.")
    Path cacheDir;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "128",
            description = "Longest token sequence; longer texts are truncated. Default: ${DEFAULT-VALUE}.")
    int maxLength;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    Path cacheDir() {
        return cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
    }

    Encoder openEncoder(NDManager manager) throws IOException {
        return Encoder.open(model, cacheDir(), manager, maxLength);
    }
}

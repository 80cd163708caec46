package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.Encoder;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The options every command that loads a model shares. */
final class CommonOptions {

    /** The longest sequence accepted; the models' own position limits apply below it. */
    static final int MAX_LENGTH = 1 << 16;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = Encoder.BUILT_IN,
            description = "all-MiniLM-L6-v2 (built in, from Maven Central) or a Hugging Face model directory "
                    + "(config.json, model.safetensors, tokenizer.json). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the built-in model's files are extracted once. Default: ~/.cache/djl-adapters.")
    Path cacheDir;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    int maxLength;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "128",
            description = "Longest token sequence; longer texts are truncated. Default: ${DEFAULT-VALUE}.")
    void maxLength(int value) {
        if (value < 1 || value > MAX_LENGTH) {
            throw new ParameterException(command.commandLine(), "--max-length must be from 1 to " + MAX_LENGTH
                    + ", got " + value);
        }
        maxLength = value;
    }

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    Path cacheDir() {
        return cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
    }

    Encoder openEncoder(NDManager manager) throws IOException {
        return Encoder.open(model, cacheDir(), manager, maxLength);
    }
}

package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code djl-adapters convert}: an ONNX export of a BERT-family model to a safetensors checkpoint. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reads the weights of a BERT-family ONNX export and writes a Hugging Face model",
            "directory: config.json and model.safetensors (and tokenizer.json when given)."})
final class ConvertCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The .onnx file.")
    Path onnx;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The model's config.json (ONNX files carry none). Default: all-MiniLM-L6-v2's architecture.")
    Path config;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "A tokenizer.json to copy into the output.")
    Path tokenizer;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "The model directory to write.")
    Path output;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isRegularFile(onnx)) {
            throw new IOException("ONNX file not found: " + onnx);
        }
        BertConfig architecture = config == null ? BertConfig.allMiniLmL6V2() : BertConfig.read(config);
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = BertModels.fromOnnx(onnx, architecture, manager);
            BertModels.save(model, output);
            long parameters = model.getParameters().stream().mapToLong(p -> p.getValue().getArray().size()).sum();
            if (tokenizer != null) {
                Files.copy(tokenizer, output.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            out.printf(Locale.ROOT, "converted %s (%,d parameters) to %s%n", onnx, parameters, output.toAbsolutePath());
        }
        return DjlAdapters.OK;
    }
}

package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code djl-adapters merge}: folds an adapter into the base weights and writes a Hugging Face checkpoint. */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Merges a saved adapter into the base model's weights and writes a Hugging Face model",
            "directory (config.json, model.safetensors, tokenizer.json) that needs no adapter code to run.",
            "A classification head saved next to the adapter is copied along."})
final class MergeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-a", "--adapter"}, required = true, paramLabel = "DIR", description = "The saved adapter.")
    Path adapter;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "The model directory to write.")
    Path output;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager(); Encoder encoder = common.openEncoder(manager)) {
            AdapterModel<BertModel> model = Adapters.init(encoder.model());
            model.loadAdapter(adapter, "merged");
            model.setActiveAdapters("merged"); // mergeAndUnload merges the active adapters, as PEFT's does
            BertModel merged = model.mergeAndUnload();
            BertModels.save(merged, output);
            Path tokenizer = Encoder.isBuiltIn(common.model)
                    ? common.cacheDir().resolve("tokenizer.json") // extracted there when the encoder opened
                    : Path.of(common.model).resolve("tokenizer.json");
            Files.copy(tokenizer, output.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            Path head = adapter.resolve(SavedClassifier.HEAD_FILE);
            if (Files.isRegularFile(head)) {
                Files.copy(head, output.resolve(SavedClassifier.HEAD_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
            out.println("merged " + adapter + " into " + encoder.name() + "; wrote " + output.toAbsolutePath());
        }
        return DjlAdapters.OK;
    }
}

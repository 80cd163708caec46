package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.bindings.Site;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code djl-adapters summary}: the model, where adapters attach, and the adapters loaded on it. */
@Command(name = "summary", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prints the model, the sites adapters attach to with their Hugging Face module paths, "
                + "and the summary of any saved adapters loaded on it.")
final class SummaryCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-a", "--adapter"}, paramLabel = "DIR",
            description = "A saved adapter directory (adapter_config.json + adapter_model.safetensors); repeatable.")
    List<Path> adapters = List.of();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager(); Encoder encoder = common.openEncoder(manager)) {
            AdapterModel<BertModel> model = Adapters.init(encoder.model());
            out.printf(Locale.ROOT, "model:    %s (%s, %,d parameters)%n", encoder.name(),
                    encoder.model().config().isRoberta() ? "RoBERTa" : "BERT", encoder.parameterCount());
            out.println("bindings: " + model.bindings().getClass().getName());
            out.println("methods:  " + model.methods().stream().map(AdapterMethod::configName)
                    .collect(Collectors.joining(", ")));
            out.println("layers:   " + model.layerCount());
            out.printf(Locale.ROOT, "  %-20s %s%n", "EMBEDDINGS", model.embeddingsPath());
            for (Site site : model.sites()) {
                out.printf(Locale.ROOT, "  %-20s %s%n", site, model.modulePath(0, site));
            }
            for (int i = 0; i < adapters.size(); i++) {
                String name = adapters.size() == 1 ? "adapter" : "adapter" + (i + 1);
                model.loadAdapter(adapters.get(i), name);
                out.println(name + ": " + adapters.get(i) + " " + model.adapterConfig(name));
            }
            if (!adapters.isEmpty()) {
                model.setActiveAdapters(model.adapters().toArray(String[]::new));
                out.println(model.adapterSummary());
            }
        }
        return DjlAdapters.OK;
    }
}

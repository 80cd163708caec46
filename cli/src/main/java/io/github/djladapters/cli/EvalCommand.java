package io.github.djladapters.cli;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.finetune.LabelledText;
import io.github.djladapters.finetune.LabelledTextFiles;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TextClassifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code djl-adapters eval}: accuracy of a saved adapter and head on labelled texts. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Loads a trained adapter and its classification head and reports accuracy on labelled texts.")
final class EvalCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-a", "--adapter"}, required = true, paramLabel = "DIR",
            description = "A directory written by train (adapter_config.json, adapter_model.safetensors, "
                    + "classifier.safetensors).")
    Path adapter;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "FILE", description = "Labelled data, .jsonl or .csv.")
    Path data;

    @Option(names = "--text-field", defaultValue = "text", description = "Text field or column. Default: ${DEFAULT-VALUE}.")
    String textField;

    @Option(names = "--label-field", defaultValue = "label", description = "Label field or column. Default: ${DEFAULT-VALUE}.")
    String labelField;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<LabelledText> examples = LabelledTextFiles.read(data, textField, labelField);
        try (NDManager manager = NDManager.newBaseManager(); Encoder encoder = common.openEncoder(manager)) {
            TextClassifier classifier = SavedClassifier.load(encoder, adapter, "eval", manager);
            List<String> labels = classifier.head().labels();
            List<String> predicted = classifier.predict(examples.stream().map(LabelledText::text).toList(), 32);
            int[][] confusion = new int[labels.size()][labels.size()];
            int correct = 0;
            int unknown = 0;
            for (int i = 0; i < examples.size(); i++) {
                int truth = labels.indexOf(examples.get(i).label());
                if (truth < 0) {
                    unknown++;
                    continue;
                }
                confusion[truth][labels.indexOf(predicted.get(i))]++;
                correct += truth == labels.indexOf(predicted.get(i)) ? 1 : 0;
            }
            out.printf(Locale.ROOT, "accuracy: %.1f%% (%d of %d)%n", 100.0 * correct / examples.size(), correct,
                    examples.size());
            if (unknown > 0) {
                out.printf(Locale.ROOT, "%d examples have a label the head does not know (%s), counted as wrong%n",
                        unknown, labels);
            }
            out.printf(Locale.ROOT, "%-16s %s%n", "label \\ predicted", String.join("  ", labels));
            for (int i = 0; i < labels.size(); i++) {
                StringBuilder row = new StringBuilder();
                for (int j = 0; j < labels.size(); j++) {
                    row.append(String.format(Locale.ROOT, "%" + labels.get(j).length() + "d  ", confusion[i][j]));
                }
                out.printf(Locale.ROOT, "%-16s %s%n", labels.get(i), row.toString().stripTrailing());
            }
        }
        return DjlAdapters.OK;
    }
}

package io.github.djladapters.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.ClassifierTraining;
import io.github.djladapters.finetune.Encoder;
import io.github.djladapters.finetune.LabelledText;
import io.github.djladapters.finetune.LabelledTextFiles;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TerminalProgressBar;
import io.github.djladapters.finetune.TextClassifier;
import io.github.djladapters.finetune.TrainingCheckpoint;
import io.github.djladapters.finetune.TrainingHistory;
import io.github.djladapters.finetune.TrainingProgress;
import io.github.djladapters.finetune.TrainingReport;
import io.github.djladapters.finetune.TrainingSettings;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
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

/** {@code djl-adapters train}: fine-tunes an adapter and a classification head on labelled texts. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tunes an adapter and a classification head on labelled texts (JSONL or CSV),",
            "saves them (PEFT's layout, or the Adapters library's for its methods) with a loss curve and an HTML report, and checkpoints every epoch",
            "into OUTPUT/checkpoint (--resume continues from there)."})
final class TrainCommand implements Callable<Integer> {

    static final String CHECKPOINT_DIR = "checkpoint";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    MethodOptions method;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "FILE", description = "Training data, .jsonl or .csv.")
    Path data;

    @Option(names = "--eval-data", paramLabel = "FILE", description = "Held-out data: accuracy before and after.")
    Path evalData;

    @Option(names = "--text-field", defaultValue = "text", description = "Text field or column. Default: ${DEFAULT-VALUE}.")
    String textField;

    @Option(names = "--label-field", defaultValue = "label", description = "Label field or column. Default: ${DEFAULT-VALUE}.")
    String labelField;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Where the adapter goes.")
    Path output;

    @Option(names = "--name", defaultValue = "default", description = "The adapter's name. Default: ${DEFAULT-VALUE}.")
    String name;

    @Option(names = "--epochs", defaultValue = "3", description = "Passes over the data. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Adam learning rate. Default: ${DEFAULT-VALUE}.")
    float learningRate;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after N steps in all; 0: no limit.")
    int maxSteps;

    @Option(names = "--seed", defaultValue = "42", description = "Seeds shuffling, head and dropout. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--resume", description = "Continue from the checkpoint in OUTPUT/checkpoint.")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        TrainingSettings settings;
        io.github.djladapters.runtime.methods.AdapterConfig fromFlags;
        try {
            settings = new TrainingSettings(epochs, batchSize, learningRate, seed, maxSteps);
            fromFlags = method.config == null ? method.adapterConfig() : null; // flag errors are usage errors
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        List<LabelledText> train = LabelledTextFiles.read(data, textField, labelField);
        List<LabelledText> held = evalData == null ? List.of() : LabelledTextFiles.read(evalData, textField, labelField);
        Path checkpoint = output.resolve(CHECKPOINT_DIR);
        if (resume && !TrainingCheckpoint.exists(checkpoint)) {
            throw new IOException("--resume: no checkpoint in " + checkpoint);
        }
        Engine.getInstance().setRandomSeed((int) seed);
        try (NDManager manager = NDManager.newBaseManager(); Encoder encoder = common.openEncoder(manager)) {
            TextClassifier classifier;
            TrainingHistory history = TrainingHistory.empty();
            if (resume) {
                classifier = SavedClassifier.load(encoder, checkpoint, name, manager);
                history = TrainingCheckpoint.readHistory(checkpoint);
                out.printf(Locale.ROOT, "Resuming from %s after epoch %d (%d steps)%n", checkpoint, history.epochs(),
                        history.losses().size());
            } else {
                AdapterModel<BertModel> adapters = Adapters.init(encoder.model());
                adapters.addAdapter(name, fromFlags != null ? fromFlags : method.adapterConfig());
                classifier = new TextClassifier(adapters, encoder.tokenizer(), ClassifierHead.create(
                        LabelledTextFiles.labels(train), encoder.model().config().hiddenSize(), manager));
            }
            classifier.trainAdapter(name);
            out.println(classifier.adapters().adapterSummary());
            out.println(classifier.trainableParameterCounts());
            TrainingReport report = new TrainingReport("Adapter '" + name + "' on " + encoder.name())
                    .fact("base model", encoder.baseModelId())
                    .fact("data", train.size() + " examples from " + data)
                    .fact("trainable parameters", classifier.trainableParameterCounts().toString());
            if (!held.isEmpty()) {
                double before = classifier.accuracy(held, 32);
                out.printf(Locale.ROOT, "held-out accuracy before: %.1f%%%n", 100 * before);
                report.fact("held-out accuracy before", String.format(Locale.ROOT, "%.1f%%", 100 * before));
            }
            history = new ClassifierTraining(classifier, settings).train(train, history,
                    checkpointing(new TerminalProgressBar(out, "training"), classifier, checkpoint, encoder));
            if (!held.isEmpty()) {
                double after = classifier.accuracy(held, 32);
                out.printf(Locale.ROOT, "held-out accuracy after:  %.1f%%%n", 100 * after);
                report.fact("held-out accuracy after", String.format(Locale.ROOT, "%.1f%%", 100 * after));
            }
            SavedClassifier.save(classifier, name, output, encoder.baseModelId());
            report.fact("training", history.losses().size() + " steps, batch " + batchSize + ", Adam lr " + learningRate)
                    .write(output, history);
            out.println("saved adapter '" + name + "' to " + output.toAbsolutePath());
        }
        return DjlAdapters.OK;
    }

    private TrainingProgress checkpointing(TrainingProgress bar, TextClassifier classifier, Path checkpoint,
            Encoder encoder) {
        return new TrainingProgress() {
            @Override
            public void started(int firstStep, int totalSteps) {
                bar.started(firstStep, totalSteps);
            }

            @Override
            public void stepped(int step, float loss) {
                bar.stepped(step, loss);
            }

            @Override
            public void epochFinished(int epoch, TrainingHistory history) throws IOException {
                TrainingCheckpoint.write(classifier, name, checkpoint, encoder.baseModelId(), history);
            }

            @Override
            public void finished() {
                bar.finished();
            }
        };
    }
}

package io.github.djladapters.samples.quickstart;

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
import io.github.djladapters.finetune.TrainingHistory;
import io.github.djladapters.finetune.TrainingReport;
import io.github.djladapters.finetune.TrainingSettings;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The README's main job: fine-tunes the built-in all-MiniLM-L6-v2 (from Maven Central) to tell
 * positive from negative product reviews with a LoRA (r=8 on query and value) and a classification
 * head, saves the adapter in PEFT's layout with a loss curve and an HTML report, then loads it into
 * a fresh model and checks that it gives the same logits.
 */
public final class Quickstart {

    /** The adapter's name. */
    public static final String ADAPTER = "reviews";

    /** Epochs, batch size, learning rate and seed of the full run. */
    public static final TrainingSettings TRAINING = new TrainingSettings(4, 16, 2e-3f, 42, 0);

    private static final int MAX_TOKENS = 64;
    private static final int EVAL_BATCH = 40;

    private Quickstart() {}

    /**
     * Runs the main job.
     *
     * @param args optional: the output directory (default {@code reviews-lora}), then the cache
     *     directory for the extracted model files (default {@code ~/.cache/djl-adapters})
     * @throws IOException when the model or data cannot be read or the adapter cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path outputDir = Path.of(args.length > 0 ? args[0] : "reviews-lora");
        Path cacheDir = args.length > 1 ? Path.of(args[1])
                : Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        run(System.out, outputDir, cacheDir, TRAINING);
    }

    /**
     * Fine-tunes, saves, reloads and checks; prints every stage to {@code out}.
     *
     * @param out where the report goes
     * @param outputDir where the adapter, head, loss curve and report are written
     * @param cacheDir where the model files are extracted once
     * @param training epochs, batch size, learning rate, seed (and a step limit for tests)
     * @return the figures the run printed
     * @throws IOException when the model or data cannot be read or the adapter cannot be written
     */
    public static QuickstartResult run(PrintStream out, Path outputDir, Path cacheDir, TrainingSettings training)
            throws IOException {
        long start = System.nanoTime();
        out.println("djl-adapters quick start: fine-tune all-MiniLM-L6-v2 to classify product reviews");
        List<LabelledText> train = dataResource("reviews/train.jsonl");
        List<LabelledText> test = dataResource("reviews/test.jsonl");
        List<String> labels = LabelledTextFiles.labels(train);
        Engine.getInstance().setRandomSeed((int) training.seed());
        try (NDManager manager = NDManager.newBaseManager();
                Encoder encoder = Encoder.open(Encoder.BUILT_IN, cacheDir, manager, MAX_TOKENS)) {
            out.printf(Locale.ROOT, "Loaded %s from %s: %,d parameters (%.1f s)%n", Encoder.BUILT_IN,
                    AllMiniLmL6V2.MAVEN_COORDINATES, encoder.parameterCount(), seconds(start));
            out.printf(Locale.ROOT, "Data: %d training and %d held-out reviews from data/reviews, labels %s%n",
                    train.size(), test.size(), labels);

            AdapterModel<BertModel> adapters = Adapters.init(encoder.model());
            out.println("Adapters.init(model) found " + adapters.bindings().getClass().getSimpleName()
                    + " on the class path: " + adapters.layerCount() + " layers, sites " + adapters.sites());
            LoRAConfig lora = LoRAConfig.builder().r(8).loraAlpha(16).loraDropout(0.1)
                    .targetModules("query", "value").build();
            adapters.addAdapter(ADAPTER, lora);
            TextClassifier classifier = new TextClassifier(adapters, encoder.tokenizer(),
                    ClassifierHead.create(labels, encoder.model().config().hiddenSize(), manager));
            classifier.trainAdapter(ADAPTER);
            out.println();
            out.println("LoRA r=8, lora_alpha=16, target_modules=[query, value] + a " + labels.size()
                    + "-way classification head on mean-pooled tokens");
            out.println(adapters.adapterSummary());
            out.println("encoder:    " + adapters.trainableParameters());
            out.println("with head:  " + classifier.trainableParameterCounts());

            double before = classifier.accuracy(test, EVAL_BATCH);
            out.printf(Locale.ROOT, "%nHeld-out accuracy before training: %.1f%% (%d reviews, chance is 50%%)%n",
                    100 * before, test.size());
            long trainStart = System.nanoTime();
            TrainingHistory history = new ClassifierTraining(classifier, training)
                    .train(train, new TerminalProgressBar(out, "training"));
            double trainSeconds = seconds(trainStart);
            double after = classifier.accuracy(test, EVAL_BATCH);
            out.printf(Locale.ROOT, "Held-out accuracy after training:  %.1f%% (%d steps in %.1f s)%n",
                    100 * after, history.losses().size(), trainSeconds);

            SavedClassifier.save(classifier, ADAPTER, outputDir, encoder.baseModelId());
            Path report = new TrainingReport("LoRA on all-MiniLM-L6-v2: product review sentiment")
                    .fact("base model", Encoder.BUILT_IN_HUB_ID)
                    .fact("adapter", "LoRA r=8, lora_alpha=16, target_modules=[query, value]")
                    .fact("trainable parameters", classifier.trainableParameterCounts().toString())
                    .fact("training", history.losses().size() + " steps, batch " + training.batchSize()
                            + ", Adam lr " + training.learningRate() + String.format(Locale.ROOT, ", %.1f s", trainSeconds))
                    .fact("held-out accuracy before", String.format(Locale.ROOT, "%.1f%%", 100 * before))
                    .fact("held-out accuracy after", String.format(Locale.ROOT, "%.1f%%", 100 * after))
                    .write(outputDir, history);
            out.println();
            out.println("Saved the adapter (PEFT layout) and the head to " + outputDir.toAbsolutePath());
            SavedFiles.print(out, outputDir);
            out.println("Report: " + report.toAbsolutePath());

            double difference = ReloadCheck.run(out, classifier, outputDir, cacheDir, test);
            out.printf(Locale.ROOT, "%nDone in %.1f s.%n", seconds(start));
            return new QuickstartResult(before, after, history, outputDir, difference);
        }
    }

    private static List<LabelledText> dataResource(String name) throws IOException {
        try (InputStream in = Quickstart.class.getResourceAsStream("/data/" + name)) {
            if (in == null) {
                throw new IOException("data/" + name + " is not on the class path");
            }
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            return LabelledTextFiles.parse(name, lines, "text", "label");
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}

package io.github.djladapters.samples.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.heads.SentencePooling;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The README's main job: loads the built-in all-MiniLM-L6-v2 from Maven Central, finds the adapter
 * bindings the annotation processor generated for {@link BertModel}, prints every site adapters can
 * attach to with its Hugging Face module path, embeds a few sentences, and puts a LoRA on it.
 */
public final class Quickstart {

    /** Sentences whose similarities show that the real weights were loaded. */
    static final List<String> SENTENCES = List.of(
            "A man is playing a guitar on stage.",
            "Someone performs music with a guitar.",
            "The stock market fell sharply today.",
            "Shares dropped steeply in today's trading session.");

    private Quickstart() {}

    /**
     * Runs the quick start.
     *
     * @param args optional: a cache directory for the extracted model files
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path cacheDir = args.length > 0 ? Path.of(args[0])
                : Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        run(System.out, cacheDir);
    }

    /**
     * Loads the model, prints its bindings and the sentence similarities.
     *
     * @param out where the report goes
     * @param cacheDir where the model files are extracted once
     * @return the cosine similarity matrix of {@link #SENTENCES}
     * @throws IOException when the model cannot be read
     */
    public static float[][] run(PrintStream out, Path cacheDir) throws IOException {
        out.println("djl-adapters quick start");
        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cacheDir, 128)) {
            long start = System.nanoTime();
            BertModel model = AllMiniLmL6V2.load(manager, cacheDir);
            long parameters = model.getParameters().stream().mapToLong(p -> p.getValue().getArray().size()).sum();
            out.printf(Locale.ROOT, "Loaded all-MiniLM-L6-v2 from %s: %,d parameters in %.2f s%n",
                    AllMiniLmL6V2.MAVEN_COORDINATES, parameters, (System.nanoTime() - start) / 1e9);

            AdapterModel<BertModel> adapters = Adapters.init(model);
            printBindings(out, adapters);

            float[][] similarity = similarities(adapters, tokenizer, manager);
            printSimilarities(out, similarity);

            addLoRA(out, adapters, tokenizer, manager);
            return similarity;
        }
    }

    private static void printBindings(PrintStream out, AdapterModel<BertModel> adapters) {
        out.println();
        out.println("Adapters.init(model) found " + adapters.bindings().getClass().getName());
        out.println("  methods: " + adapters.methods().stream().map(AdapterMethod::configName)
                .collect(Collectors.joining(", ")));
        out.println("  layers:  " + adapters.layerCount());
        out.printf(Locale.ROOT, "  %-20s %-45s %s%n", "site", "module path (layer 0)", "weights");
        out.printf(Locale.ROOT, "  %-20s %-45s %s%n", "EMBEDDINGS", adapters.embeddingsPath(),
                weightShapes(adapters.embeddings()));
        for (Site site : adapters.sites()) {
            out.printf(Locale.ROOT, "  %-20s %-45s %s%n", site, adapters.modulePath(0, site),
                    weightShapes(adapters.block(0, site)));
        }
    }

    private static String weightShapes(Block block) {
        List<String> shapes = new java.util.ArrayList<>();
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            if (parameter.getKey().endsWith("weight")) {
                shapes.add(parameter.getValue().getArray().getShape().toString());
            }
        }
        return shapes.size() == 1 ? shapes.get(0) : shapes.isEmpty() ? "-" : shapes.size() + " weights";
    }

    /**
     * Puts a LoRA (r=8 on query and value, as in PEFT's defaults for BERT) on every layer, gives it
     * random weights as if trained, and shows that merging it into the base weights changes nothing.
     */
    private static void addLoRA(PrintStream out, AdapterModel<BertModel> adapters, PaddedBatchTokenizer tokenizer,
            NDManager manager) {
        out.println();
        out.println("adapters.addAdapter(\"demo\", LoRAConfig r=8, alpha=16, target_modules=[query, value])");
        adapters.addAdapter("demo", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value")
                .initLoraWeights(LoRAInit.NONE).build()); // random A and B stand in for trained weights
        adapters.trainAdapter("demo"); // freezes the base model, activates and unfreezes only "demo"
        out.println("adapters.trainAdapter(\"demo\")");
        out.println("  " + adapters.trainableParameters());
        out.println(adapters.adapterSummary());

        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = tokenizer.encode(SENTENCES, scope);
            NDArray base;
            try (AdapterModel.DisabledScope disabled = adapters.disableAdapters()) {
                base = adapters.forward(inputs).head();
            }
            NDArray adapted = adapters.forward(inputs).head();
            adapters.mergeAdapter("demo");
            NDArray merged = adapters.forward(inputs).head();
            adapters.unmergeAdapter("demo");
            out.printf(Locale.ROOT, "  max |adapter - base|   = %.4f  (the LoRA changes the hidden states)%n",
                    maxAbs(adapted, base));
            out.printf(Locale.ROOT, "  max |merged - unmerged| = %.2e (merging into the base weights is exact)%n",
                    maxAbs(merged, adapted));
        }
        adapters.deleteAdapter("demo");
    }

    private static double maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    private static float[][] similarities(AdapterModel<BertModel> adapters, PaddedBatchTokenizer tokenizer,
            NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = tokenizer.encode(SENTENCES, scope);
            ParameterStore store = new ParameterStore(scope, false);
            NDArray hidden = adapters.forward(inputs).head();
            NDArray embeddings = new SentencePooling(SentencePooling.Mode.MEAN, true)
                    .forward(store, new NDList(hidden, inputs.get(1)), false).head();
            NDArray cosine = embeddings.matMul(embeddings.transpose());
            int n = SENTENCES.size();
            float[] flat = cosine.toFloatArray();
            float[][] matrix = new float[n][n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * n, matrix[i], 0, n);
            }
            return matrix;
        }
    }

    private static void printSimilarities(PrintStream out, float[][] similarity) {
        out.println();
        out.println("Sentence embeddings (mean pooling, L2-normalised): cosine similarity");
        for (int i = 0; i < SENTENCES.size(); i++) {
            StringBuilder row = new StringBuilder();
            for (float value : similarity[i]) {
                row.append(String.format(Locale.ROOT, " %5.2f", value));
            }
            out.printf(Locale.ROOT, "  [%d]%s  %s%n", i, row, SENTENCES.get(i));
        }
    }
}

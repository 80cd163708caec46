package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * What adapters cost on all-MiniLM-L6-v2, as ratios of variants measured side by side in one run:
 * LoRA (r=8 on query/value) unmerged and merged, IA3 (PEFT's BERT targets), a Pfeiffer bottleneck
 * adapter (the Adapters library's SeqBnConfig), prefix tuning and prompt tuning (20 virtual tokens
 * each), LoReFT (the Adapters library's LoReftConfig: all layers, prefix 3, rank 1) against the base
 * forward; one batch that mixes eight LoRA adapters (one per row) against the same batch with one
 * adapter; a LoRA training step against a full fine-tuning step. Every variant is its own copy of
 * the model; every round runs each variant once, in a fresh seeded random order (so no variant always
 * follows the same one), after a garbage collection, so that whatever else the machine does slows them
 * alike. {@code base-copy} (a second copy of the base) and {@code base-adapters} (the base through
 * {@code AdapterModel.forward}, the adapter variants' entry point) measure the benchmark's own bias. Each ratio is the median over rounds of the ratio within a round.
 * The variant {@code base-plus-20} is the base forward on 20 more real tokens, the floor of prompt
 * tuning's cost. The system property {@code bench.variants} (comma-separated names) runs only those
 * variants; ratios that need another are left out.
 * Not a unit test: run it by hand (see docs/benchmarks.md).
 *
 * <pre>
 * ./mvnw -o -q -B -pl models -am -DskipTests test-compile exec:exec@minilm-adapter-benchmark
 * java -cp ... io.github.djladapters.models.bench.MiniLmAdapterBenchmark [rounds] [warmUp] [runsPerSample] [threads] [batch] [tokens]
 * </pre>
 */
public final class MiniLmAdapterBenchmark {


    /** Milliseconds each training variant spent in the optimizer update (and gradient reset), per run. */
    private static final Map<String, List<Double>> OPTIMIZER_MILLIS = new LinkedHashMap<>();

    /** Virtual tokens of the prefix and prompt variants, and the extra real tokens of {@code base-plus-20}. */
    private static final int VIRTUAL = 20;

    /** The variants to run ({@code -Dbench.variants=base,prompt-20}); empty for all. */
    private static final List<String> ONLY = Arrays.stream(System.getProperty("bench.variants", "").split(","))
            .map(String::trim).filter(n -> !n.isEmpty()).toList();

    /**
     * What a sample measures: {@code wall} (default) or {@code cpu}, the calling thread's CPU time,
     * which other processes on the machine hardly change; with {@code -Dbench.threads=1} PyTorch runs
     * every op on that thread, so it is the whole forward's work.
     */
    private static final boolean CPU_CLOCK = "cpu".equals(System.getProperty("bench.clock", "wall"));
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * {@code -Dbench.mixedPaths=ab} adds {@code mixed-N-batched} (the mixed forward on the same model with
     * {@link LoRALayer#perRowKernel} off: batched products over gathered kept stacks) and {@code mixed-N-rebuilt}
     * (also {@link LoRALayer#reusePerRowStacks} off), interleaved with the default path.
     */
    private static final boolean MIXED_PATHS_AB = "ab".equals(System.getProperty("bench.mixedPaths", ""));

    private MiniLmAdapterBenchmark() {}

    private static long now() {
        return CPU_CLOCK ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static boolean wanted(String name) {
        return ONLY.isEmpty() || ONLY.contains(name);
    }

    /** One measured setting: a forward or a training step on its own model copy. */
    private record Variant(String name, boolean inference, Function<NDList, Object> step) {}

    /** The ratios reported: the median of {@code numerator / denominator} over rounds. */
    private record Ratio(String label, String numerator, String denominator, double peft, double target) {}

    /**
     * Runs the benchmark and prints the median time of each variant and the ratios.
     *
     * @param args optional measured rounds (default 20), warm-up rounds (default 3), runs per
     *     sample (default 3: a round's sample is the fastest of that many back-to-back runs, which
     *     filters out moments when other work took the cores), PyTorch intra-op threads (default 0:
     *     PyTorch's own choice, one per core), batch size (default 8), tokens per row (default 128)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        int batch = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        int tokens = args.length > 5 ? Integer.parseInt(args[5]) : 128;
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads)); // read when the engine loads
        }
        Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "djl-adapters-minilm");
        try (NDManager manager = NDManager.newBaseManager()) {
            long[][] ids = BenchInputs.tokenIds(batch, tokens, new Random(42));
            List<Variant> variants = variants(manager, cacheDir, batch).stream().filter(v -> wanted(v.name())).toList();
            System.out.printf("all-MiniLM-L6-v2, batch %d x %d tokens, %d warm-up + %d measured rounds, sample = fastest"
                    + " of %d runs (%s time), %d CPU cores, %s threads, PyTorch %s%n", batch, tokens, warmUp, rounds,
                    repeats, CPU_CLOCK ? "thread CPU" : "wall",
                    Runtime.getRuntime().availableProcessors(), threads > 0 ? threads : "default",
                    Engine.getInstance().getVersion());

            double[][] millis = new double[variants.size()][rounds];
            Random order = new Random(7);
            for (int round = -warmUp; round < rounds; round++) {
                if (round == 0) {
                    OPTIMIZER_MILLIS.values().forEach(List::clear);
                }
                System.gc(); // a collection between rounds, not inside a sample
                for (int v : roundOrder(variants.size(), order)) {
                    double fastest = Double.MAX_VALUE;
                    for (int run = 0; run < repeats; run++) {
                        fastest = Math.min(fastest, time(manager, variants.get(v), ids));
                    }
                    if (round >= 0) {
                        millis[v][round] = fastest;
                    }
                }
            }
            report(variants, millis);
        }
    }

    /**
     * The order of one round: a fresh seeded permutation, so that no variant always runs right after
     * the same one (rotating the start keeps the cyclic order, and with it each variant's predecessor,
     * whose leftovers in the allocator and caches the next sample inherits).
     */
    static int[] roundOrder(int variants, Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < variants; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static List<Variant> variants(NDManager manager, Path cacheDir, int batch) throws IOException {
        List<Variant> variants = new ArrayList<>();

        BertModel base = AllMiniLmL6V2.load(manager, cacheDir);
        variants.add(new Variant("base", true,
                in -> base.forward(new ParameterStore(in.head().getManager(), false), in, false)));
        if (wanted("base-copy")) {
            // a second copy of the base through the same entry point: base-copy / base is the benchmark's own bias
            BertModel copy = AllMiniLmL6V2.load(manager, cacheDir);
            variants.add(new Variant("base-copy", true,
                    in -> copy.forward(new ParameterStore(in.head().getManager(), false), in, false)));
        }
        if (wanted("base-adapters")) {
            // the base through AdapterModel.forward with no adapter (the merged and IA3 variants' entry point)
            AdapterModel<BertModel> plain = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            variants.add(new Variant("base-adapters", true, plain::forward));
        }
        // the floor of prompt tuning: the base forward on as many more real tokens as it has virtual ones
        variants.add(new Variant("base-plus-" + VIRTUAL, true,
                in -> base.forward(new ParameterStore(in.head().getManager(), false), longer(in), false)));

        LoRAConfig lora = LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value")
                .initLoraWeights(LoRAInit.NONE).build(); // random B, as after training
        AdapterModel<BertModel> unmerged = null;
        AdapterModel<BertModel> ia3 = null;
        AdapterModel<BertModel> loraTraining = null;
        if (wanted("lora-unmerged")) {
            unmerged = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            unmerged.addAdapter("lora", lora);
            unmerged.setActiveAdapters("lora");
            variants.add(new Variant("lora-unmerged", true, unmerged::forward));
        }

        if (wanted("lora-merged")) {
            AdapterModel<BertModel> merged = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            merged.addAdapter("lora", lora);
            merged.setActiveAdapters("lora");
            merged.mergeAdapter("lora"); // wrappers stay in place, as after PEFT's merge_adapter()
            variants.add(new Variant("lora-merged", true, merged::forward));
        }

        if (wanted("ia3")) {
            // PEFT's default IA3 targets for BERT; "output.dense" matches the attention output and the
            // feed-forward output alike, and both scale their input
            IA3Config ia3Config = IA3Config.builder().targetModules("key", "value", "output.dense")
                    .feedforwardModules("output.dense").initIa3Weights(false).build();
            ia3 = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            ia3.addAdapter("ia3", ia3Config);
            ia3.setActiveAdapters("ia3");
            variants.add(new Variant("ia3", true, ia3::forward));
        }

        if (wanted("bottleneck-seq")) {
            // the Adapters library's Pfeiffer adapter (reduction 16) with bert init: small non-zero weights, as after training
            AdapterModel<BertModel> pfeiffer = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            pfeiffer.addAdapter("seq_bn", SeqBnConfig.create());
            pfeiffer.setActiveAdapters("seq_bn");
            variants.add(new Variant("bottleneck-seq", true, pfeiffer::forward));
        }

        // 20 virtual tokens each: prefix tuning adds 20 keys and values per layer, prompt tuning 20 positions
        if (wanted("prefix-20")) {
            AdapterModel<BertModel> prefix = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            prefix.addAdapter("prefix", PrefixTuningConfig.builder().numVirtualTokens(20).build());
            prefix.setActiveAdapters("prefix");
            variants.add(new Variant("prefix-20", true, prefix::forward));
        }

        if (wanted("loreft")) {
            // the Adapters library's LoReftConfig defaults (all layers, prefix_positions 3, suffix 0, r 1),
            // nn.Linear init so that the intervention is not the identity, as after training
            AdapterModel<BertModel> reft = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            reft.addAdapter("reft", ReftConfig.loReft().tiedWeights(false).dropout(0.05).nonLinearity(null)
                    .initWeights("linear").build());
            reft.setActiveAdapters("reft");
            variants.add(new Variant("loreft", true, reft::forward));
        }

        if (wanted("prompt-20")) {
            AdapterModel<BertModel> prompt = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            prompt.addAdapter("prompt", PromptTuningConfig.builder().numVirtualTokens(20).build());
            prompt.setActiveAdapters("prompt");
            variants.add(new Variant("prompt-20", true, prompt::forward));
        }

        if (wanted("single-adapter") || wanted("mixed-" + batch) || wanted("routed-same")) {
            // frozen, as a server loads adapters for inference: mixed forwards then keep each layer's stacked weights
            AdapterModel<BertModel> multi = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            List<String> perRow = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                multi.addAdapter("lora" + i, lora);
                multi.freezeAdapter("lora" + i, true);
                perRow.add("lora" + i);
            }
            multi.setActiveAdapters("lora0");
            List<String> sameForAll = Collections.nCopies(batch, "lora0");
            variants.add(new Variant("single-adapter", true, multi::forward));
            variants.add(new Variant("mixed-" + batch, true, in -> multi.forward(in, perRow)));
            variants.add(new Variant("routed-same", true, in -> multi.forward(in, sameForAll)));
            if (MIXED_PATHS_AB) {
                // the same model and rows through the batched products (kept stacks), and with the stacks built on
                // every forward, interleaved with the default path
                variants.add(new Variant("mixed-" + batch + "-batched", true, in -> {
                    LoRALayer.perRowKernel(false);
                    try {
                        return multi.forward(in, perRow);
                    } finally {
                        LoRALayer.perRowKernel(true);
                    }
                }));
                variants.add(new Variant("mixed-" + batch + "-rebuilt", true, in -> {
                    LoRALayer.perRowKernel(false);
                    LoRALayer.reusePerRowStacks(false);
                    try {
                        return multi.forward(in, perRow);
                    } finally {
                        LoRALayer.reusePerRowStacks(true);
                        LoRALayer.perRowKernel(true);
                    }
                }));
            }
        }

        if (wanted("mixed-" + batch + "-trainable")) {
            // trainable adapters (as right after addAdapter): nothing is kept for them; the batched path would stack
            // their weights on every forward, the per-row kernel reads them as they are
            AdapterModel<BertModel> trainable = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            List<String> perRow = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                trainable.addAdapter("lora" + i, lora);
                perRow.add("lora" + i);
            }
            variants.add(new Variant("mixed-" + batch + "-trainable", true, in -> trainable.forward(in, perRow)));
        }

        if (wanted("train-lora")) {
            loraTraining = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            loraTraining.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value")
                    .build());
            loraTraining.trainAdapter("lora"); // base frozen, only the adapter trains
            variants.add(new Variant("train-lora", false, trainingStep("train-lora", loraTraining.model())));
        }

        if (wanted("train-full")) {
            BertModel full = AllMiniLmL6V2.load(manager, cacheDir);
            full.freezeParameters(false);
            variants.add(new Variant("train-full", false, trainingStep("train-full", full)));
        }

        if (loraTraining != null) {
            System.out.printf("LoRA training: %s%n", loraTraining.trainableParameters());
        }
        if (ia3 != null && unmerged != null) {
            System.out.printf("IA3 wraps %d modules; LoRA wraps %d%n", ia3.adapterLayers().size(),
                    unmerged.adapterLayers().size());
        }
        return variants;
    }

    /** The inputs with their first {@link #VIRTUAL} tokens repeated at the front. */
    private static NDList longer(NDList in) {
        NDList out = new NDList();
        for (NDArray a : in) {
            out.add(a.get(":, 0:" + VIRTUAL).concat(a, 1));
        }
        return out;
    }

    /** Forward in training mode, loss = mean of the last hidden state squared, backward, Adam ({@link FusedAdam}) on the trainable parameters. */
    private static Function<NDList, Object> trainingStep(String name, BertModel model) {
        List<Parameter> trainable = BenchInputs.trainable(model);
        FusedAdam adam = FusedAdam.adam(trainable, model.getParameters().valueAt(0).getArray().getManager(), 1e-5f);
        List<Double> optimizerMillis = OPTIMIZER_MILLIS.computeIfAbsent(name, n -> new ArrayList<>());
        return in -> {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(in.head().getManager(), false), in, true).head();
                collector.backward(out.square().mean());
            }
            long start = System.nanoTime();
            adam.step(); // also zeroes the gradients, which PyTorch accumulates into
            optimizerMillis.add((System.nanoTime() - start) / 1e6);
            return null;
        };
    }

    /** One run of one variant on fresh input arrays, in milliseconds; its arrays are freed after. */
    private static double time(NDManager manager, Variant variant, long[][] ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids);
            NDList inputs = new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                    scope.zeros(input.getShape(), input.getDataType()));
            if (variant.inference()) {
                try (GradientsOff off = GradientsOff.onThisThread()) {
                    long start = now();
                    variant.step().apply(inputs);
                    return (now() - start) / 1e6;
                }
            }
            long start = now();
            variant.step().apply(inputs);
            return (now() - start) / 1e6;
        }
    }

    private static void report(List<Variant> variants, double[][] millis) {
        System.out.println();
        System.out.printf("%-16s %10s %10s %10s%n", "variant", "median ms", "min ms", "max ms");
        for (int v = 0; v < variants.size(); v++) {
            double[] sorted = millis[v].clone();
            Arrays.sort(sorted);
            System.out.printf("%-16s %10.1f %10.1f %10.1f%n", variants.get(v).name(), median(millis[v]), sorted[0],
                    sorted[sorted.length - 1]);
        }
        String mixed = variants.stream().map(Variant::name).filter(n -> n.matches("mixed-\\d+")).findFirst()
                .orElse("mixed-8");
        List<Ratio> ratios = List.of(
                new Ratio("LoRA unmerged / base", "lora-unmerged", "base", 1.04, 1.04),
                new Ratio("LoRA merged / base", "lora-merged", "base", 0.98, 1.01),
                new Ratio("base copy / base (bias check)", "base-copy", "base", Double.NaN, Double.NaN),
                new Ratio("base via AdapterModel / base", "base-adapters", "base", Double.NaN, Double.NaN),
                new Ratio("LoRA merged / base via AM", "lora-merged", "base-adapters", Double.NaN, Double.NaN),
                new Ratio("IA3 / base", "ia3", "base", 1.05, 1.05),
                new Ratio("Pfeiffer bottleneck / base", "bottleneck-seq", "base", Double.NaN, 1.05),
                new Ratio("prefix (20) / base", "prefix-20", "base", Double.NaN, 1.10),
                new Ratio("prompt (20) / base", "prompt-20", "base", Double.NaN, 1.18),
                new Ratio("LoReFT (r1, prefix 3) / base", "loreft", "base", Double.NaN, Double.NaN),
                new Ratio("base +20 tokens / base (info)", "base-plus-" + VIRTUAL, "base", Double.NaN, Double.NaN),
                new Ratio("prompt (20) / base +20 tokens", "prompt-20", "base-plus-" + VIRTUAL, Double.NaN, Double.NaN),
                new Ratio(mixed + " / single adapter", mixed, "single-adapter", 1.13, 1.05),
                new Ratio("trainable mixed / single (info)", mixed + "-trainable", "single-adapter", Double.NaN,
                        Double.NaN),
                new Ratio("batched / kernel (A/B)", mixed + "-batched", mixed, Double.NaN, Double.NaN),
                new Ratio("batched / single (before)", mixed + "-batched", "single-adapter", Double.NaN, Double.NaN),
                new Ratio("rebuilt / kernel (A/B)", mixed + "-rebuilt", mixed, Double.NaN, Double.NaN),
                new Ratio("LoRA step / full step", "train-lora", "train-full", 0.62, 0.62),
                new Ratio("routed same / single (info)", "routed-same", "single-adapter", Double.NaN, Double.NaN));
        System.out.println();
        System.out.printf("%-30s %7s %7s %7s %s%n", "ratio (median of per-round)", "ours", "PEFT", "target", "");
        for (Ratio ratio : ratios) {
            if (index(variants, ratio.numerator()) < 0 || index(variants, ratio.denominator()) < 0) {
                continue;
            }
            double[] n = millis[index(variants, ratio.numerator())];
            double[] d = millis[index(variants, ratio.denominator())];
            double[] perRound = new double[n.length];
            for (int r = 0; r < n.length; r++) {
                perRound[r] = n[r] / d[r];
            }
            double ours = median(perRound);
            String verdict = Double.isNaN(ratio.target()) ? "" : ours <= ratio.target() ? "met" : "MISSED";
            System.out.printf("%-30s %7.3f %7s %7s %s%n", ratio.label(), ours, format(ratio.peft()),
                    format(ratio.target()), verdict);
        }
        if (index(variants, "train-lora") < 0 || index(variants, "train-full") < 0 || index(variants, "base") < 0) {
            return;
        }
        // the optimizer's share: DJL updates parameter by parameter, which weighs on 22.6 M parameters
        double loraOptimizer = median(OPTIMIZER_MILLIS.get("train-lora").stream().mapToDouble(d -> d).toArray());
        double fullOptimizer = median(OPTIMIZER_MILLIS.get("train-full").stream().mapToDouble(d -> d).toArray());
        double loraStep = median(millis[index(variants, "train-lora")]);
        double fullStep = median(millis[index(variants, "train-full")]);
        System.out.printf("%-30s %7.3f %7s %7s (optimizer %.0f ms of %.0f ms for LoRA, %.0f of %.0f ms for full)%n",
                "LoRA / full without optimizer", (loraStep - loraOptimizer) / (fullStep - fullOptimizer), "-", "-",
                loraOptimizer, loraStep, fullOptimizer, fullStep);
        double baseMedian = median(millis[index(variants, "base")]);
        System.out.printf("%-30s %7.1f %7s %7s %s%n", "base forward median (ms)", baseMedian, "177", "177",
                baseMedian <= 177 ? "met" : "MISSED");
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "-" : String.format("%.2f", value);
    }

    private static int index(List<Variant> variants, String name) {
        for (int i = 0; i < variants.size(); i++) {
            if (variants.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Soak test of forwards (a main, not a unit test): many forwards over one all-MiniLM-L6-v2 with
 * adapters, cycling through one adapter active, two adapters active, a mixed per-row batch (LoRA,
 * DoRA, IA3 and base rows) and the merged adapter, each input in its own closed sub-manager. Prints
 * the resident set size (RSS) after warm-up, every tenth of the run and at the end, and the arrays
 * held by the model's manager; a run that holds no memory per forward ends within a few percent of
 * its post-warm-up RSS.
 *
 * <pre>
 * ./mvnw -o -q -B -pl models -am -DskipTests test-compile exec:exec@forward-soak [-Dsoak.forwards=10000]
 * </pre>
 */
public final class ForwardSoak {

    private static final List<String> TEXTS = List.of("The lamp is lovely and bright.", "It broke at once, sadly.",
            "Great sound and the battery lasts for days.", "Terrible quality, I want a refund.");

    private ForwardSoak() {}

    /**
     * Runs the soak.
     *
     * @param args forwards (default 10000), warm-up forwards (default 500), cache directory
     * @throws Exception when the model cannot be read
     */
    public static void main(String[] args) throws Exception {
        int forwards = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        Path cache = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("forward-soak");
        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cache, 32)) {
            BertModel model = AllMiniLmL6V2.load(manager, cache);
            AdapterModel<BertModel> adapters = Adapters.init(model);
            LoRAConfig lora = LoRAConfig.builder().r(8).loraAlpha(16).initLoraWeights(LoRAInit.NONE)
                    .targetModules("query", "value").build();
            adapters.addAdapter("lora", lora);
            adapters.addAdapter("dora", lora.toBuilder().useDora(true).targetModules("key").build());
            adapters.addAdapter("ia3", IA3Config.builder().targetModules("intermediate.dense").build());
            try (NDManager callers = manager.newSubManager()) {
                for (int i = 0; i < warmup; i++) {
                    forward(adapters, tokenizer, callers, i);
                }
                System.gc();
                long start = rssKib();
                int startArrays = manager.getManagedArrays().size();
                long begin = System.nanoTime();
                System.out.printf(Locale.ROOT, "after %d warm-up forwards: RSS %,d KiB, %d arrays in the model's"
                        + " manager%n", warmup, start, startArrays);
                for (int i = 0; i < forwards; i++) {
                    forward(adapters, tokenizer, callers, i);
                    if ((i + 1) % Math.max(1, forwards / 10) == 0) {
                        System.out.printf(Locale.ROOT, "%6d forwards: RSS %,d KiB (%+.1f%%), %d arrays, %.1f s%n",
                                i + 1, rssKib(), 100.0 * (rssKib() - start) / start, manager.getManagedArrays().size(),
                                (System.nanoTime() - begin) / 1e9);
                    }
                }
                System.gc();
                long end = rssKib();
                System.out.printf(Locale.ROOT, "RSS start %,d KiB, end %,d KiB: %+.2f%% over %,d forwards; arrays %d"
                        + " -> %d%n", start, end, 100.0 * (end - start) / start, forwards, startArrays,
                        manager.getManagedArrays().size());
            }
        }
    }

    /** One forward of the path {@code i} selects, its input and output in a sub-manager closed after it. */
    private static void forward(AdapterModel<BertModel> adapters, PaddedBatchTokenizer tokenizer, NDManager callers,
            int i) {
        try (NDManager scope = callers.newSubManager()) {
            NDList inputs = tokenizer.encode(TEXTS, scope);
            switch (i % 4) {
                case 0 -> {
                    adapters.setActiveAdapters("lora");
                    adapters.forward(inputs);
                }
                case 1 -> {
                    adapters.setActiveAdapters("lora", "ia3");
                    adapters.forward(inputs);
                }
                case 2 -> adapters.forward(inputs, List.of("lora", "dora", "ia3", ""));
                default -> {
                    adapters.setActiveAdapters("dora");
                    adapters.mergeAdapter("dora");
                    adapters.forward(inputs);
                    adapters.unmergeAdapter("dora");
                }
            }
        }
    }

    private static long rssKib() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> l.replaceAll("[^0-9]", "")).mapToLong(Long::parseLong).findFirst().orElse(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}

package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * One case of the peer comparison ({@code bench/peers/run.sh}), measured in its own JVM so that its
 * peak resident memory is its own: the same cases, shapes and thread count as
 * {@code bench/peers/peer_cases.py} runs through PyTorch, PEFT and transformers. Prints one JSON line.
 *
 * <p>Cases: {@code forward} (all-MiniLM-L6-v2, batch 8 x 128, gradients off), {@code lora-step} and
 * {@code full-step} (forward in training mode, loss = mean of the last hidden state squared,
 * backward, AdamW lr 1e-5 through {@link FusedAdam}, gradients reset), {@code generate-b1} and {@code generate-b8} (greedy,
 * Llama-shaped 100 M model with random weights, prompt 32, 64 new tokens, no stop token). Runs on DJL's
 * default device: the GPU when a CUDA libtorch is loaded ({@code -Pgpu}, docs/gpu.md).
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.PeerBenchmark case threads [rounds] [warmUp]
 * </pre>
 */
public final class PeerBenchmark {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;
    private static final int PROMPT = 32;
    private static final int NEW_TOKENS = 64;

    private PeerBenchmark() {}

    /**
     * Runs one case and prints {@code {"case":..,"threads":..,"median_ms":..,"min_ms":..,
     * "tokens_per_s":..,"peak_rss_mb":..}}.
     *
     * @param args case, PyTorch intra-op threads, measured rounds (default 10), warm-up rounds (default 2)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        String name = args[0];
        int threads = Integer.parseInt(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads)); // read when the engine loads
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (NDManager manager = NDManager.newBaseManager()) {
            Measured step = switch (name) {
                case "forward" -> forward(manager);
                case "lora-step" -> trainingStep(manager, true);
                case "full-step" -> trainingStep(manager, false);
                case "generate-b1" -> generate(manager, 1);
                case "generate-b8" -> generate(manager, BATCH);
                default -> throw new IllegalArgumentException("unknown case '" + name
                        + "': expected forward, lora-step, full-step, generate-b1 or generate-b8");
            };
            double setupRss = rssMegabytes("VmRSS:");
            double[] millis = new double[rounds];
            for (int round = -warmUp; round < rounds; round++) {
                long start = System.nanoTime();
                step.run.run();
                double elapsed = (System.nanoTime() - start) / 1e6;
                if (round >= 0) {
                    millis[round] = elapsed;
                }
            }
            Arrays.sort(millis);
            double median = rounds % 2 == 1 ? millis[rounds / 2] : (millis[rounds / 2 - 1] + millis[rounds / 2]) / 2;
            double tokensPerSecond = step.tokens > 0 ? step.tokens / (median / 1000) : 0;
            System.out.printf(Locale.ROOT, "{\"side\":\"djl-adapters\",\"case\":\"%s\",\"threads\":%d,\"median_ms\":%.1f,"
                    + "\"min_ms\":%.1f,\"tokens_per_s\":%.2f,\"peak_rss_mb\":%.0f,\"setup_rss_mb\":%.0f,"
                    + "\"device\":\"%s\",\"weights\":\"%s\",\"engine\":\"PyTorch %s via DJL\"}%n",
                    name, threads, median, millis[0], tokensPerSecond, rssMegabytes("VmHWM:"), setupRss,
                    manager.getDevice(), randomWeights() ? "random" : "all-MiniLM-L6-v2",
                    Engine.getInstance().getVersion());
        }
    }

    /** A measured action and the tokens it produces per run (0 when it produces none). */
    private record Measured(Runnable run, int tokens) {}

    private static Measured forward(NDManager manager) throws IOException {
        BertModel model = miniLm(manager);
        long[][] ids = tokenIds(new Random(42));
        return new Measured(() -> {
            try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
                finish(model.forward(new ParameterStore(scope, false), inputs(scope, ids), false).head());
            }
        }, 0);
    }

    private static Measured trainingStep(NDManager manager, boolean lora) throws IOException {
        BertModel base = miniLm(manager);
        BertModel model;
        if (lora) {
            AdapterModel<BertModel> adapters = Adapters.init(base);
            adapters.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value").build());
            adapters.trainAdapter("lora");
            model = adapters.model();
        } else {
            base.freezeParameters(false);
            model = base;
        }
        List<Parameter> trainable = new ArrayList<>();
        model.getParameters().values().forEach(p -> {
            if (p.requiresGradient()) {
                trainable.add(p);
            }
        });
        FusedAdam adamW = FusedAdam.adamW(trainable, manager, 1e-5f); // freed with the manager
        long[][] ids = tokenIds(new Random(42));
        return new Measured(() -> {
            try (NDManager scope = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(new ParameterStore(scope, false), inputs(scope, ids), true).head();
                    collector.backward(out.square().mean());
                }
                adamW.step(); // also zeroes the gradients, which PyTorch accumulates into
                finish(trainable.get(trainable.size() - 1).getArray());
            }
        }, 0);
    }

    private static Measured generate(NDManager manager, int batch) {
        // hidden 768, 12 layers, 12 heads of 64 with 4 KV heads, SwiGLU 2048, vocab 32000, tied head
        LlamaConfig config = new LlamaConfig("llama", 32000, 768, 2048, 12, 12, 4, 64, 1e-6, 10000.0, false, false,
                false, true, 1, Set.of(2), 0);
        LlamaForCausalLM model = new LlamaForCausalLM(config);
        model.setInitializer(new NormalInitializer(0.02f), p -> true);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        Random random = new Random(1);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            prompts.add(random.ints(PROMPT, 3, config.vocabSize()).toArray());
        }
        Generator generator = new Generator(model);
        GenerationConfig greedy = GenerationConfig.greedy(NEW_TOKENS);
        return new Measured(() -> {
            try (NDManager scope = manager.newSubManager()) {
                generator.generate(scope, prompts, greedy);
            }
        }, batch * NEW_TOKENS);
    }

    /** Waits for the device's queued work on a GPU (a read of one value); nothing on the CPU, where ops are synchronous. */
    private static void finish(NDArray array) {
        if (array.getDevice().isGpu()) {
            try (NDArray sum = array.sum()) {
                sum.getFloat();
            }
        }
    }

    private static NDList inputs(NDManager scope, long[][] ids) {
        NDArray input = scope.create(ids);
        return new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                scope.zeros(input.getShape(), input.getDataType()));
    }

    /** [CLS], seeded random word-piece ids, [SEP], as the Python side builds them. */
    private static long[][] tokenIds(Random random) {
        long[][] ids = new long[BATCH][TOKENS];
        for (long[] row : ids) {
            for (int t = 0; t < TOKENS; t++) {
                row[t] = t == 0 ? 101 : t == TOKENS - 1 ? 102 : 1000 + random.nextInt(30522 - 1000);
            }
        }
        return ids;
    }

    /**
     * all-MiniLM-L6-v2: its real weights, or with {@code -Dbench.weights=random} the same shapes with
     * random weights, as the Python side uses (timings do not depend on the values; a host without the
     * 90 MB model jar, such as a GPU machine without network, can still run every case).
     */
    private static BertModel miniLm(NDManager manager) throws IOException {
        if (randomWeights()) {
            BertModel model = new BertModel(BertConfig.allMiniLmL6V2(), false);
            model.setInitializer(new NormalInitializer(0.02f), p -> true);
            model.initialize(manager);
            return model;
        }
        return AllMiniLmL6V2.load(manager, cacheDir());
    }

    private static boolean randomWeights() {
        return "random".equals(System.getProperty("bench.weights"));
    }

    private static Path cacheDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "djl-adapters-minilm");
    }

    /** A resident-set figure of this process from /proc (VmRSS: now, VmHWM: peak), or -1 where there is none. */
    private static double rssMegabytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

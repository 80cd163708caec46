package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.parallel.RowSplitForward;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.models.training.RowSplitStep;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One case of the peer comparison ({@code bench/peers/run.sh}) in its own JVM: the same cases, shapes and
 * thread count as {@code bench/peers/peer_cases.py} runs through PyTorch, PEFT and transformers.
 *
 * <p>Cases: {@code forward} (all-MiniLM-L6-v2, batch 8 x 128, gradients off), {@code lora-step} and
 * {@code full-step} (forward in training mode, loss = mean of the last hidden state squared,
 * backward, AdamW lr 1e-5 through {@link FusedAdam}, gradients reset), {@code generate-b1} and {@code generate-b8} (greedy,
 * Llama-shaped 100 M model with random weights, prompt 32, 64 new tokens, no stop token), {@code matmul}
 * (one 2048 x 2048 by 2048 x 2048 product: shows whether a second thread is really used). Runs on DJL's
 * default device: the GPU when a CUDA libtorch is loaded ({@code -Pgpu}, docs/gpu.md).
 *
 * <p>At more than one thread on the CPU, the forward and the training steps run as that many row groups side by
 * side, each on a thread of its own at one intra-op thread ({@link RowSplitForward}, {@link RowSplitStep}),
 * instead of the whole batch at that many intra-op threads; {@code -Dbench.rowSplit=false} keeps the whole batch. The ready line's {@code row_groups}
 * says which ran (1: the whole batch).
 *
 * <p>Two modes. {@code rounds}: load, warm up, print a ready line with the intra-op threads libtorch
 * reports, then run one round per {@code round} line on stdin ({@link PeerRounds}). {@code memory}: load,
 * reset the peak resident set to the current one, run {@code steps} rounds and print the peak resident
 * memory above the loaded state (a fresh process per figure, so that no earlier case's freed blocks count).
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.PeerBenchmark case threads rounds warmUp
 * java -cp ... io.github.djladapters.models.bench.PeerBenchmark case threads memory steps
 * </pre>
 */
public final class PeerBenchmark {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;
    private static final int PROMPT = 32;
    private static final int NEW_TOKENS = 64;
    private static final int MATMUL = 2048;
    /** The row groups' threads of a split training step; null when the steps run over the whole batch. */
    private static TorchThreadTeam team;

    private PeerBenchmark() {}

    /**
     * Runs one case in the given mode; every line printed on stdout is one JSON object.
     *
     * @param args case, PyTorch intra-op threads, mode ({@code rounds} or {@code memory}), and the warm-up
     *     rounds ({@code rounds}) or the measured steps ({@code memory})
     * @throws IOException when the model or stdin cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4 || !Set.of("rounds", "memory").contains(args[2])) {
            throw new IllegalArgumentException("expected: case threads rounds|memory warmUp|steps, got "
                    + Arrays.toString(args));
        }
        String name = args[0];
        int threads = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[3]);
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads)); // read when the engine loads
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (NDManager manager = NDManager.newBaseManager()) {
            Measured step = switch (name) {
                case "forward" -> forward(manager, threads);
                case "lora-step" -> trainingStep(manager, true, threads);
                case "full-step" -> trainingStep(manager, false, threads);
                case "generate-b1" -> generate(manager, 1);
                case "generate-b8" -> generate(manager, BATCH);
                case "matmul" -> matmul(manager);
                default -> throw new IllegalArgumentException("unknown case '" + name
                        + "': expected forward, lora-step, full-step, generate-b1, generate-b8 or matmul");
            };
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("side", "djl-adapters");
            line.put("case", name);
            line.put("threads", threads);
            line.put("torch_threads", JniUtils.getNumThreads());
            line.put("interop_threads", JniUtils.getNumInteropThreads());
            line.put("row_groups", team == null ? 1 : team.size());
            line.put("device", manager.getDevice().toString());
            line.put("weights", randomWeights() ? "random" : "all-MiniLM-L6-v2");
            line.put("engine", "PyTorch " + Engine.getInstance().getVersion() + " via DJL");
            PeerRounds rounds = new PeerRounds(step.run, step.tokens, System::nanoTime, PeerBenchmark::processCpuNanos,
                    PeerRounds::threadTicks);
            if (args[2].equals("memory")) {
                line.put("event", "memory");
                line.putAll(stepMemory(rounds, count));
                PeerRounds.print(System.out, line);
                return;
            }
            rounds.warmUp(count);
            line.put("event", "ready");
            PeerRounds.print(System.out, line);
            rounds.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out);
        } finally {
            if (team != null) {
                team.close();
            }
        }
    }

    /** Peak resident memory of {@code steps} rounds above the state after loading ({@link StepMemory}). */
    private static Map<String, Object> stepMemory(PeerRounds rounds, int steps) {
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("steps", steps);
        memory.putAll(StepMemory.measure(() -> rounds.warmUp(steps)));
        return memory;
    }

    /** CPU time of all threads of this process (the JVM's own included, idle while a round runs). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** A measured action and the tokens it produces per run (0 when it produces none). */
    private record Measured(Runnable run, int tokens) {}

    /**
     * The row-split team for the forward and the steps: at more than one thread on the CPU, unless
     * {@code -Dbench.rowSplit=false}; null for the whole batch.
     */
    private static TorchThreadTeam rowSplitTeam(NDManager manager, int threads) {
        boolean split = threads > 1 && !manager.getDevice().isGpu() && !"false".equals(System.getProperty("bench.rowSplit"));
        return split ? TorchThreadTeam.create(threads) : null;
    }

    private static Measured forward(NDManager manager, int threads) throws IOException {
        BertModel model = miniLm(manager);
        long[][] ids = BenchInputs.tokenIds(BATCH, TOKENS, new Random(42));
        team = rowSplitTeam(manager, threads);
        if (team != null) {
            return new Measured(() -> {
                try (NDManager scope = manager.newSubManager()) {
                    finish(RowSplitForward.forward(team, scope, inputs(scope, ids), (groupScope, rows) ->
                            model.forward(new ParameterStore(groupScope, false), rows, false)).head());
                }
            }, 0);
        }
        return new Measured(() -> {
            try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
                finish(model.forward(new ParameterStore(scope, false), inputs(scope, ids), false).head());
            }
        }, 0);
    }

    private static Measured trainingStep(NDManager manager, boolean lora, int threads) throws IOException {
        BertModel model = BenchInputs.forTraining(miniLm(manager), lora);
        List<Parameter> trainable = model.getParameters().values().stream().filter(Parameter::requiresGradient)
                .toList();
        // Made at the first step, as torch.optim.AdamW makes its state at its first step: the moments
        // (two per weight) then count in the step's memory on both sides alike.
        FusedAdam[] adamW = new FusedAdam[1];
        long[][] ids = BenchInputs.tokenIds(BATCH, TOKENS, new Random(42));
        team = rowSplitTeam(manager, threads);
        if (team != null) {
            RowSplitStep split = new RowSplitStep(team, trainable);
            return new Measured(() -> {
                try (NDManager scope = manager.newSubManager()) {
                    split.step(scope, inputs(scope, ids), (groupScope, rows) ->
                            model.forward(new ParameterStore(groupScope, false), rows, true).head().square().mean());
                    if (adamW[0] == null) {
                        adamW[0] = FusedAdam.adamW(trainable, manager, 1e-5f);
                    }
                    adamW[0].step();
                }
            }, 0);
        }
        return new Measured(() -> {
            try (NDManager scope = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(new ParameterStore(scope, false), inputs(scope, ids), true).head();
                    collector.backward(out.square().mean());
                }
                if (adamW[0] == null) {
                    adamW[0] = FusedAdam.adamW(trainable, manager, 1e-5f); // freed with the manager
                }
                adamW[0].step(); // also zeroes the gradients, which PyTorch accumulates into
                finish(trainable.get(trainable.size() - 1).getArray());
            }
        }, 0);
    }

    private static Measured matmul(NDManager manager) {
        NDArray left = manager.randomNormal(new Shape(MATMUL, MATMUL));
        NDArray right = manager.randomNormal(new Shape(MATMUL, MATMUL));
        return new Measured(() -> {
            try (NDArray product = left.matMul(right)) {
                finish(product);
            }
        }, 0);
    }

    private static Measured generate(NDManager manager, int batch) {
        LlamaForCausalLM model = GenerationBenchModel.initialized(manager);
        List<int[]> prompts = GenerationBenchModel.prompts(batch, PROMPT);
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
}

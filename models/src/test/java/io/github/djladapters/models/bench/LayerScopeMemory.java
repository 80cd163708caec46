package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.t5.T5Config;
import io.github.djladapters.models.t5.T5ForConditionalGeneration;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Peak memory of LoRA training steps on a small GPT-2, Llama or T5 with random weights, with training layer
 * scopes or keeping every intermediate until {@code backward} ({@link ForwardScope#keepingLayerIntermediates}),
 * in the way of {@link PeerBenchmark}'s memory mode: one fresh process per figure, the peak resident set
 * above the loaded state ({@link StepMemory}), AdamW's state made at the first step. Batch 8 of 128 tokens
 * (T5: 128 encoder and 32 decoder tokens); LoRA r 8 on PEFT's default targets (GPT-2 {@code c_attn}, Llama
 * {@code q_proj, v_proj}, T5 {@code q, v}).
 *
 * <pre>
 * MALLOC_MMAP_THRESHOLD_=65536 MALLOC_ARENA_MAX=2 java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -cp ... \
 *     io.github.djladapters.models.bench.LayerScopeMemory gpt2|llama|t5 scoped|kept steps
 * </pre>
 */
public final class LayerScopeMemory {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;
    private static final int DECODER_TOKENS = 32;
    private static final int VOCAB = 8000;

    private LayerScopeMemory() {}

    /**
     * Prints one JSON object with the figures.
     *
     * @param args model ({@code gpt2}, {@code llama} or {@code t5}), policy ({@code scoped} or {@code kept}),
     *     steps
     */
    public static void main(String[] args) {
        if (args.length != 3 || !Set.of("gpt2", "llama", "t5").contains(args[0])
                || !Set.of("scoped", "kept").contains(args[1])) {
            throw new IllegalArgumentException("expected: gpt2|llama|t5 scoped|kept steps, got "
                    + String.join(" ", args));
        }
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int steps = Integer.parseInt(args[2]);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            Block model = switch (args[0]) {
                case "gpt2" -> withLora(new GPT2LMHeadModel(new GPT2Config("gpt2", VOCAB, 256, 384, 6, 6, null,
                        "gelu_new", 1e-5, true, false, true, 1, 2)), manager, "c_attn");
                case "llama" -> withLora(new LlamaForCausalLM(new LlamaConfig("llama", VOCAB, 384, 1024, 6, 6, 2, 64,
                        1e-6, 10000.0, false, false, false, true, 1, Set.of(2), 0)), manager, "q_proj", "v_proj");
                default -> withLora(new T5ForConditionalGeneration(new T5Config(VOCAB, 384, 64, 1024, 4, 4, 6, 32,
                        128, 1e-6, "gated-gelu", false, 0, 0, 1)), manager, "q", "v");
            };
            List<Parameter> trainable = model.getParameters().values().stream().filter(Parameter::requiresGradient)
                    .toList();
            Random random = new Random(42);
            long[][] ids = ids(random, TOKENS);
            long[][] decoderIds = ids(random, DECODER_TOKENS);
            boolean t5 = args[0].equals("t5");
            FusedAdam[] adamW = new FusedAdam[1];
            Runnable step = () -> {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray input = scope.create(ids);
                    NDList inputs = t5 ? new NDList(input, scope.ones(input.getShape(), DataType.INT64),
                            scope.create(decoderIds)) : new NDList(input, scope.ones(input.getShape(), DataType.INT64));
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
                        collector.backward(out.square().mean());
                    }
                    if (adamW[0] == null) {
                        adamW[0] = FusedAdam.adamW(trainable, manager, 1e-5f); // at the first step, as PyTorch's
                    }
                    adamW[0].step();
                }
            };
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("model", args[0]);
            line.put("policy", args[1]);
            line.put("steps", steps);
            line.putAll(StepMemory.measure(() -> {
                for (int i = 0; i < steps; i++) {
                    if (args[1].equals("kept")) {
                        try (ForwardScope.Policy keep = ForwardScope.keepingLayerIntermediates()) {
                            step.run();
                        }
                    } else {
                        step.run();
                    }
                }
            }));
            PeerRounds.print(System.out, line);
        }
    }

    private static <M extends Block> Block withLora(M base, NDManager manager, String... targets) {
        base.setInitializer(new NormalInitializer(0.02f), p -> true);
        base.initialize(manager, DataType.FLOAT32, new Shape(1, 1), new Shape(1, 1));
        AdapterModel<M> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules(targets).build());
        adapters.trainAdapter("lora");
        return adapters.model();
    }

    private static long[][] ids(Random random, int length) {
        long[][] ids = new long[BATCH][length];
        for (long[] row : ids) {
            for (int t = 0; t < length; t++) {
                row[t] = 3 + random.nextInt(VOCAB - 3);
            }
        }
        return ids;
    }
}

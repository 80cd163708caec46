package io.github.djladapters.models.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.DecodingBatch;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.models.parallel.RowSplitForward;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.models.training.RowSplitStep;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.LiveArrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every long-running loop of the project leaves the process's open arrays and managers as they were: the
 * counts of everything reachable from the engine's system manager ({@link LiveArrays}) after 3 and after 30
 * iterations are equal, on tiny models, for training steps (one pass and row groups, LoRA and full
 * fine-tuning, both update paths of {@link FusedAdam}), row-group forwards, greedy and sampled generation with
 * the key/value cache (GPT-2, and Llama through its fused decode step), a decoding batch that rows join and
 * leave, and mixed-adapter forwards through LoRA's per-row kernel.
 */
class LongRunsReleaseArraysTest {

    private static final int FEW = 3;
    private static final int MANY = 30;
    private static final int TOKENS = 20; // at least the 16 tokens per row from which LoRA's per-row kernel applies
    private static final NDIndex FIRST_FEATURE = new NDIndex(":, :, 0");
    private static final List<String> ROWS = List.of("a", "", "b", "a");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "lora={0} fusedKernel={1}")
    @CsvSource({"true, true", "false, true", "true, false", "false, false"})
    void trainingStepsWithFusedAdam(boolean lora, boolean kernel) {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = bert(manager, lora);
            List<Parameter> trainable = trainable(model);
            long[][] ids = ids(4, 9, 1);
            String before = System.getProperty(FusedAdam.KERNEL_PROPERTY);
            System.setProperty(FusedAdam.KERNEL_PROPERTY, Boolean.toString(kernel));
            FusedAdam adam;
            try {
                adam = FusedAdam.adamW(trainable, manager, 1e-3f);
            } finally {
                restore(FusedAdam.KERNEL_PROPERTY, before);
            }
            try (adam) {
                float[] first = trainable.get(trainable.size() - 1).getArray().toFloatArray();
                LiveArrays.assertFlat("training step, lora=" + lora + " kernel=" + adam.fused(), FEW, MANY, () -> {
                    try (NDManager scope = manager.newSubManager()) {
                        NDList inputs = inputs(scope, ids);
                        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                            NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
                            collector.backward(out.square().mean());
                        }
                        adam.step();
                    }
                });
                assertEquals(1 + MANY, adam.steps());
                assertChanged(first, trainable.get(trainable.size() - 1).getArray().toFloatArray());
            }
        }
    }

    @ParameterizedTest(name = "lora={0}")
    @CsvSource({"true", "false"})
    void rowSplitStepsOnTwoThreads(boolean lora) {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            BertModel model = bert(manager, lora);
            List<Parameter> trainable = trainable(model);
            long[][] ids = ids(5, 9, 2);
            RowSplitStep split = new RowSplitStep(team, trainable);
            try (FusedAdam adam = FusedAdam.adamW(trainable, manager, 1e-3f)) {
                float[] losses = new float[1 + MANY];
                int[] step = {0};
                LiveArrays.assertFlat("row-split step, lora=" + lora, FEW, MANY, () -> {
                    try (NDManager scope = manager.newSubManager()) {
                        // the output's first feature, a mean over rows (the layer norm fixes the mean square)
                        losses[step[0]++] = split.step(scope, inputs(scope, ids), (group, rows) -> model
                                .forward(new ParameterStore(group, false), rows, true).head().get(FIRST_FEATURE)
                                .mean());
                        adam.step();
                    }
                });
                assertTrue(losses[MANY] < losses[0], "the steps lower the loss: " + losses[0] + " -> " + losses[MANY]);
            }
        }
    }

    @Test
    void failedRowSplitStepsZeroTheGradientsAndLeaveNothingOpen() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            BertModel model = bert(manager, true);
            List<Parameter> trainable = trainable(model);
            long[][] ids = ids(5, 9, 2);
            RowSplitStep split = new RowSplitStep(team, trainable);
            try (NDManager scope = manager.newSubManager()) { // a good step leaves non-zero gradients
                split.step(scope, inputs(scope, ids), (group, rows) -> model.forward(new ParameterStore(group, false),
                        rows, true).head().get(FIRST_FEATURE).mean());
            }
            assertTrue(maxGradient(trainable) > 0);
            LiveArrays.assertFlat("failed row-split step", FEW, MANY, () -> {
                try (NDManager scope = manager.newSubManager()) {
                    // a loss without a graph: every group's backward pass throws, and the step zeroes the gradients
                    assertThrows(TorchThreadTeam.TeamTaskException.class, () -> split.step(scope, inputs(scope, ids),
                            (group, rows) -> rows.head().toType(DataType.FLOAT32, false).mean()));
                }
            });
            assertEquals(0f, maxGradient(trainable), "the failed steps zeroed the gradients");
        }
    }

    @Test
    void rowSplitForwardsOnTwoThreads() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            BertModel model = bert(manager, true);
            long[][] ids = ids(5, 9, 3);
            LiveArrays.assertFlat("row-split forward", FEW, MANY, () -> {
                try (NDManager scope = manager.newSubManager()) {
                    NDList out = RowSplitForward.forward(team, scope, inputs(scope, ids),
                            (group, rows) -> model.forward(new ParameterStore(group, false), rows, false));
                    assertEquals(5, out.head().getShape().get(0));
                }
            });
        }
    }

    @Test
    void mixedAdapterForwardsThroughThePerRowKernel() {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager();
                GradientsOff off = GradientsOff.onThisThread()) {
            AdapterModel<BertModel> peft = twoLoRAs(bertBase(manager));
            long[][] ids = ids(ROWS.size(), TOKENS, 4);
            LiveArrays.assertFlat("mixed-adapter forward", FEW, MANY, () -> {
                try (NDManager scope = caller.newSubManager()) {
                    peft.forward(inputs(scope, ids), ROWS).head().toFloatArray();
                    try (AdapterModel.RowAdapters routed = peft.routeRows(ROWS, scope)) {
                        peft.forward(inputs(scope, ids)).head().toFloatArray();
                    }
                }
            });
        }
    }

    @Test
    void generationsWithTheKeyValueCache() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            GPT2LMHeadModel gpt2 = gpt2(manager);
            LlamaForCausalLM llama = llama(manager);
            AdapterModel<GPT2LMHeadModel> gpt2Adapters = twoLoRAs(gpt2);
            List<int[]> prompts = prompts(4, 5);
            List<int[]> longPrompts = prompts(18, 6); // through LoRA's per-row kernel at the prefill
            long fusedBefore = llama.fusedDecodeSteps();
            LiveArrays.assertFlat("generation", FEW, MANY, () -> {
                try (NDManager scope = caller.newSubManager()) {
                    gpt2Adapters.setActiveAdapters("a");
                    new Generator(gpt2).generate(scope, prompts, GenerationConfig.greedy(6));
                    gpt2Adapters.setActiveAdapters();
                    try (AdapterModel.RowAdapters routed = gpt2Adapters.routeRows(ROWS, scope)) {
                        new Generator(gpt2).generate(scope, longPrompts, GenerationConfig.greedy(4));
                    }
                    new Generator(llama).generate(scope, prompts, GenerationConfig.greedy(6));
                    new Generator(llama).generate(scope, prompts, GenerationConfig.greedy(6)
                            .withSampling(0.9f, 10, 0.9f, 5L));
                }
            });
            assertTrue(llama.fusedDecodeSteps() > fusedBefore, "Llama decoded through its fused step");
        }
    }

    @Test
    void aDecodingBatchThatRowsJoinAndLeave() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            List<GPT2LMHeadModel> models = List.of(gpt2(manager));
            List<int[]> prompts = prompts(4, 7);
            try (DecodingBatch batch = new DecodingBatch(models.get(0), caller)) {
                batch.join(List.of(prompts.get(0)), List.of(GenerationConfig.greedy(100)));
                int[] joined = {0};
                LiveArrays.assertFlat("decoding batch", FEW, MANY, () -> {
                    // one row joins, every row takes three tokens, the oldest row leaves: two rows run on
                    batch.join(List.of(prompts.get(++joined[0] % prompts.size())),
                            List.of(GenerationConfig.greedy(100).withSampling(0.8f, 5, 0.9f, joined[0])));
                    for (int t = 0; t < 3; t++) {
                        batch.step();
                    }
                    batch.leave(new boolean[] {true, false});
                    assertEquals(1, batch.size());
                });
            }
        }
    }

    private static BertModel bertBase(NDManager manager) {
        Engine.getInstance().setRandomSeed(7);
        BertModel bert = new BertModel(TinyCheckpoints.tinyBert());
        bert.initialize(manager);
        return bert;
    }

    private static BertModel bert(NDManager manager, boolean lora) {
        BertModel base = bertBase(manager);
        if (!lora) {
            base.freezeParameters(false);
            return base;
        }
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1f)
                .targetModules("query", "value").initLoraWeights(LoRAInit.NONE).build());
        adapters.trainAdapter("lora");
        return adapters.model();
    }

    private static <M extends ai.djl.nn.Block> AdapterModel<M> twoLoRAs(M model) {
        AdapterModel<M> peft = Adapters.init(model);
        LoRAConfig lora = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE).build();
        peft.addAdapter("a", lora);
        peft.addAdapter("b", lora.toBuilder().r(4).loraAlpha(8).build());
        peft.freezeAdapter("a", true);
        peft.freezeAdapter("b", true);
        return peft;
    }

    private GPT2LMHeadModel gpt2(NDManager manager) throws Exception {
        GPT2Config config = TinyDecoderCheckpoints.tinyGpt2();
        var shapes = TinyDecoderCheckpoints.shapes(config);
        TinyDecoderCheckpoints.write(dir.resolve("gpt2"), config.toJson(), shapes,
                TinyDecoderCheckpoints.randomWeights(shapes, 21, 0.3));
        return GPT2Models.fromCheckpoint(dir.resolve("gpt2"), manager);
    }

    private LlamaForCausalLM llama(NDManager manager) throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        var shapes = TinyDecoderCheckpoints.shapes(config);
        TinyDecoderCheckpoints.write(dir.resolve("llama"), config.toJson(), shapes,
                TinyDecoderCheckpoints.randomWeights(shapes, 22, 0.3));
        return LlamaModels.fromCheckpoint(dir.resolve("llama"), manager);
    }

    private static List<Parameter> trainable(ai.djl.nn.Block model) {
        return model.getParameters().values().stream().filter(Parameter::requiresGradient).toList();
    }

    private static long[][] ids(int rows, int tokens, long seed) {
        Random random = new Random(seed);
        long[][] ids = new long[rows][tokens];
        for (long[] row : ids) {
            for (int t = 0; t < tokens; t++) {
                row[t] = 1 + random.nextInt(39);
            }
        }
        return ids;
    }

    private static List<int[]> prompts(int length, long seed) {
        Random random = new Random(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < ROWS.size(); i++) {
            prompts.add(random.ints(length + i, 1, 50).toArray());
        }
        return prompts;
    }

    private static NDList inputs(NDManager scope, long[][] ids) {
        NDArray input = scope.create(ids);
        return new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                scope.zeros(input.getShape(), input.getDataType()));
    }

    private static float maxGradient(List<Parameter> parameters) {
        float max = 0;
        for (Parameter parameter : parameters) {
            try (NDArray gradient = parameter.getArray().getGradient()) {
                for (float value : gradient.toFloatArray()) {
                    max = Math.max(max, Math.abs(value));
                }
            }
        }
        return max;
    }

    private static void assertChanged(float[] before, float[] after) {
        double moved = 0;
        for (int i = 0; i < before.length; i++) {
            moved = Math.max(moved, Math.abs(before[i] - after[i]));
        }
        assertTrue(moved > 1e-6, "the steps changed the last trainable parameter");
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}

package io.github.djladapters.models.composition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.generation.DecoderForCausalLM;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.composition.Average;
import io.github.djladapters.runtime.composition.BatchSplit;
import io.github.djladapters.runtime.composition.Composition;
import io.github.djladapters.runtime.composition.Parallel;
import io.github.djladapters.runtime.composition.Split;
import io.github.djladapters.runtime.composition.Stack;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Composition blocks on the tiny GPT-2 (fused qkv {@code c_attn}, Conv1D projections, hidden 32,
 * 2 layers): each branch of {@code Parallel} and each part of {@code BatchSplit} equals its adapter
 * run alone, for every method that routes rows; {@code Average} of LoRA adapters on the fused qkv
 * equals the joint activation of copies whose deltas carry the weights; unsupported setups fail at
 * {@code setActiveAdapters} and leave the previous one active.
 */
class CompositionDecoderTest {

    private static final PromptTuningConfig PROMPT = PromptTuningConfig.builder().numVirtualTokens(3).build();

    private static final long[][] IDS = {{1, 7, 9, 3, 12}, {4, 4, 18, 2, 30}, {5, 11, 0, 8, 2}};

    /** One config per method whose adapters take part in Parallel and BatchSplit. */
    enum Method {
        LORA(LoRAConfig.builder().r(4).loraAlpha(8).targetModules("c_attn", "c_fc").initLoraWeights(LoRAInit.NONE)
                .build()),
        IA3(IA3Config.builder().build()),
        BOTTLENECK(SeqBnConfig.builder().reductionFactor(8).build()),
        PREFIX(PrefixTuningConfig.builder().numVirtualTokens(3).build()),
        REFT(ReftConfig.loReft().r(2).positions(2, 2).build());

        final AdapterConfig config;

        Method(AdapterConfig config) {
            this.config = config;
        }
    }

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private AdapterModel<DecoderForCausalLM<?>> gpt2() throws Exception {
        GPT2Config config = TinyDecoderCheckpoints.tinyGpt2();
        Map<String, Shape> shapes = TinyDecoderCheckpoints.shapes(config);
        Path checkpoint = dir.resolve("gpt2");
        TinyDecoderCheckpoints.write(checkpoint, config.toJson(), shapes,
                TinyDecoderCheckpoints.randomWeights(shapes, 21, 0.3));
        return Adapters.init(GPT2Models.fromCheckpoint(checkpoint, manager));
    }

    /** Random adapter tensors (scalings near 1), so that every adapter changes the output its own way. */
    private void perturb(AdapterModel<?> peft, String name, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        Map<String, NDArray> random = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) -> random.put(key,
                manager.randomUniform(-0.3f, 0.3f, value.getShape()).add(key.endsWith("scaling")
                        || key.contains("ia3") ? 1f : 0f)));
        peft.loadAdapterTensors(name, random);
    }

    private AdapterModel<DecoderForCausalLM<?>> twoAdapters(AdapterConfig config) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = gpt2();
        peft.addAdapter("a", config);
        peft.addAdapter("b", config);
        perturb(peft, "a", 5);
        perturb(peft, "b", 6);
        return peft;
    }

    private float[] run(AdapterModel<?> peft, long[][] ids) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(ids))).head().toFloatArray();
        }
    }

    private float[] alone(AdapterModel<?> peft, String name, long[][] ids) {
        peft.setActiveAdapters(name);
        return run(peft, ids);
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void parallelGivesEachBranchTheOutputOfItsAdapterAlone(Method method) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = twoAdapters(method.config);
        float[] a = alone(peft, "a", IDS);
        float[] b = alone(peft, "b", IDS);
        assertTrue(maxDiff(a, b) > 1e-3, method + ": the two adapters differ");

        peft.setActiveAdapters(Parallel.of("a", "b"));
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = new NDList(scope.create(IDS));
            List<NDList> branches = peft.forwardBranches(inputs);
            assertEquals(2, branches.size());
            assertArrayEquals(a, branches.get(0).head().toFloatArray(), 1e-5f, method + ": branch a");
            assertArrayEquals(b, branches.get(1).head().toFloatArray(), 1e-5f, method + ": branch b");
            NDArray together = peft.forward(inputs).head();
            assertEquals(2 * IDS.length, together.getShape().get(0), "all branches along the batch, as the library");
            float[] joined = together.toFloatArray();
            assertArrayEquals(a, Arrays.copyOfRange(joined, 0, a.length), 1e-5f);
            assertArrayEquals(b, Arrays.copyOfRange(joined, a.length, joined.length), 1e-5f);
        }
        assertEquals(Parallel.of("a", "b"), peft.activeSetup().orElseThrow());
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void batchSplitEqualsSplittingTheBatchByHand(Method method) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = twoAdapters(method.config);
        float[] first = alone(peft, "a", new long[][] {IDS[0]});
        float[] rest = alone(peft, "b", new long[][] {IDS[1], IDS[2]});

        peft.setActiveAdapters(BatchSplit.of(List.of(1, 2), "a", "b"));
        float[] split = run(peft, IDS);
        assertArrayEquals(first, Arrays.copyOfRange(split, 0, first.length), 1e-5f, method + ": row 0 on a");
        assertArrayEquals(rest, Arrays.copyOfRange(split, first.length, split.length), 1e-5f, method + ": rows 1-2 on b");

        IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class,
                () -> run(peft, new long[][] {IDS[0], IDS[1]}));
        assertTrue(sizes.getMessage().contains("needs a batch of 3 rows"), sizes.getMessage());
    }

    @Test
    void averageOfLoRAOnTheFusedQkvIsTheWeightedSumOfTheDeltas() throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = twoAdapters(Method.LORA.config);
        // independent: copies whose lora_B carry the weights, activated together (their deltas add up)
        peft.addAdapter("a_weighted", Method.LORA.config);
        peft.addAdapter("b_weighted", Method.LORA.config);
        peft.loadAdapterTensors("a_weighted", scaledB(peft, "a", 0.25f));
        peft.loadAdapterTensors("b_weighted", scaledB(peft, "b", 0.75f));
        peft.setActiveAdapters("a_weighted", "b_weighted");
        float[] expected = run(peft, IDS);

        peft.setActiveAdapters(Average.of(List.of(1.0, 3.0), "a", "b")); // normalized to 0.25, 0.75
        float[] averaged = run(peft, IDS);
        assertArrayEquals(expected, averaged, 1e-5f);
        assertTrue(maxDiff(alone(peft, "a", IDS), averaged) > 1e-3);
        assertTrue(maxDiff(alone(peft, "b", IDS), averaged) > 1e-3);

        // unnormalized weights scale the deltas as given
        peft.setActiveAdapters(Average.of(List.of(Composition.adapter("a"), Composition.adapter("b")),
                List.of(0.25, 0.75), false));
        assertArrayEquals(expected, run(peft, IDS), 1e-5f);
    }

    @Test
    void splitOfLoRAOnACausalDecoderGivesTheFirstPositionsTheFirstAdapterAlone() throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = twoAdapters(Method.LORA.config);
        float[] a = alone(peft, "a", IDS);
        peft.setActiveAdapters(Split.of(List.of(2, 3), "a", "b"));
        float[] split = run(peft, IDS);
        int vocab = a.length / (IDS.length * IDS[0].length);
        for (int row = 0; row < IDS.length; row++) {
            for (int t = 0; t < 5; t++) {
                int from = (row * 5 + t) * vocab;
                double diff = maxDiff(Arrays.copyOfRange(a, from, from + vocab),
                        Arrays.copyOfRange(split, from, from + vocab));
                if (t < 2) {
                    // causal attention: positions 0-1 see only positions 0-1, which run a alone
                    assertEquals(0, diff, 1e-5, "row " + row + " position " + t);
                } else {
                    assertTrue(diff > 1e-4, "row " + row + " position " + t + " runs b");
                }
            }
        }
    }

    @Test
    void stackOfLoRAAdaptersAddsTheirDeltasAsSeveralActiveNamesDo() throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = twoAdapters(Method.LORA.config);
        peft.setActiveAdapters("a", "b");
        float[] both = run(peft, IDS);
        peft.setActiveAdapters(Stack.of("a", "b"));
        assertArrayEquals(both, run(peft, IDS));
    }

    @Test
    void unsupportedSetupsFailAtSetActiveAdaptersNamingBlockAndAdapterAndKeepThePreviousOne() throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = gpt2();
        peft.addAdapter("p", Method.PREFIX.config);
        peft.addAdapter("q", Method.PREFIX.config);
        peft.addAdapter("l", LoRAConfig.builder().r(2).targetModules("c_fc").initLoraWeights(LoRAInit.NONE).build());
        peft.addAdapter("i", Method.IA3.config); // c_attn and mlp.c_proj
        peft.addAdapter("j", Method.IA3.config);
        perturb(peft, "l", 5);
        peft.setActiveAdapters(Parallel.of("l", "p"));
        float[] before = run(peft, IDS);

        assertFails(peft, Average.of("p", "q"), "Average", "'p', 'q'", "prefix");
        assertFails(peft, Split.of(List.of(2, 3), "l", "p"), "Split", "'p'", "prefix");
        assertFails(peft, Average.of("i", "j"), "Average", "'i', 'j'", "ia3");
        assertFails(peft, Average.of("l", "missing"), "missing");
        // nestings the Adapters library forbids
        assertFails(peft, Average.of(List.of(Composition.adapter("l"), Parallel.of("p", "q")), List.of(1.0, 1.0),
                true), "cannot nest Parallel[p, q] in Average");
        assertFails(peft, Stack.of(Composition.adapter("l"), Parallel.of(Composition.adapter("p"),
                BatchSplit.of(1, "i", "j"))), "too deep");
        // nestings the library allows that are not run here
        assertFails(peft, Stack.of(Composition.adapter("l"), Parallel.of("p", "q")),
                "Parallel inside Stack", "not supported");
        assertFails(peft, Parallel.of(Composition.adapter("l"), Stack.of("i", "j")), "Stack inside Parallel");
        assertFails(peft, Stack.of("l", "l"), "'l' appears more than once");

        assertEquals(Parallel.of("l", "p"), peft.activeSetup().orElseThrow(), "the previous setup stays active");
        assertArrayEquals(before, run(peft, IDS));
    }

    @Test
    void promptTuningTakesPartInStackOnly() throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = gpt2();
        peft.addAdapter("prompt1", PROMPT);
        peft.addAdapter("prompt2", PROMPT);
        assertFails(peft, Parallel.of("prompt1", "prompt2"), "Parallel", "'prompt1', 'prompt2'", "prompt_tuning");
        assertFails(peft, BatchSplit.of(1, "prompt1", "prompt2"), "BatchSplit", "prompt_tuning");
        assertFails(peft, Average.of("prompt1", "prompt2"), "Average", "prompt_tuning");
        peft.setActiveAdapters(Stack.of("prompt1", "prompt2")); // the prompts concatenated
        assertEquals(List.of("prompt1", "prompt2"), peft.activeAdapters());
    }

    private static void assertFails(AdapterModel<?> peft, Composition setup, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> peft.setActiveAdapters(setup),
                setup.toString());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    private Map<String, NDArray> scaledB(AdapterModel<?> peft, String name, float weight) {
        Map<String, NDArray> scaled = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) ->
                scaled.put(key, key.contains("lora_B") ? value.mul(weight) : value));
        return scaled;
    }

    private static double maxDiff(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}

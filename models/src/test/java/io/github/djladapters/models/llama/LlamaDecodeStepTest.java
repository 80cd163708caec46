package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.generation.TransformersFixture;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused decode step ({@link LlamaDecodeStep}) gives the block-by-block forward's logits and tokens:
 * Llama, Mistral and Qwen2 (q/k/v biases), tied and untied heads, left-padded batches of different
 * prompt lengths, greedy and seeded sampling, transformers' greedy tokens; it stays off where an
 * unmerged adapter applies, runs with a merged one, follows weights that change between generations,
 * and leaves no arrays behind.
 */
class LlamaDecodeStepTest {

    private static final List<int[]> PROMPTS = List.of(
            new int[] {1, 17, 4}, new int[] {1, 9, 30, 22, 41, 8, 13}, new int[] {1, 5, 6, 40, 2});
    private static final int NEW_TOKENS = 12;

    @TempDir
    Path dir;

    @AfterEach
    void switchBackOn() {
        LlamaDecodeStep.setEnabled(true);
    }

    private LlamaForCausalLM tiny(NDManager manager, String type, boolean tied, long seed) throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama(type, tied);
        var shapes = TinyDecoderCheckpoints.shapes(config);
        Path at = dir.resolve(type + tied + seed);
        TinyDecoderCheckpoints.write(at, config.toJson(), shapes, TinyDecoderCheckpoints.randomWeights(shapes, seed, 0.3));
        return LlamaModels.fromCheckpoint(at, manager);
    }

    @ParameterizedTest
    @CsvSource({"llama,false", "llama,true", "mistral,false", "qwen2,false"})
    void fusedStepsGiveTheBlockForwardsLogitsAndGreedyTokens(String type, boolean tied) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, type, tied, 22);
            Steps blocks = steps(manager, model, false);
            long before = model.fusedDecodeSteps();
            Steps fused = steps(manager, model, true);
            assertEquals(before + NEW_TOKENS, model.fusedDecodeSteps(), "every step, the prompt's included, ran fused");
            assertSameTokens(blocks.tokens, fused.tokens);
            double worst = maxDifference(blocks.logits, fused.logits);
            assertTrue(worst < 1e-5, "logits differ by " + worst);

            Generator generator = new Generator(model);
            LlamaDecodeStep.setEnabled(false);
            List<int[]> old = generator.generate(manager, PROMPTS, GenerationConfig.greedy(NEW_TOKENS));
            LlamaDecodeStep.setEnabled(true);
            assertSameTokens(old, generator.generate(manager, PROMPTS, GenerationConfig.greedy(NEW_TOKENS)));
        }
    }

    @Test
    void seededSamplingDrawsTheSameTokensAsTheBlockForward() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, "llama", false, 23);
            Generator generator = new Generator(model);
            GenerationConfig config = GenerationConfig.greedy(NEW_TOKENS).withSampling(0.9f, 20, 0.9f, 7L);
            LlamaDecodeStep.setEnabled(false);
            List<int[]> old = generator.generate(manager, PROMPTS, config);
            LlamaDecodeStep.setEnabled(true);
            long before = model.fusedDecodeSteps();
            assertSameTokens(old, generator.generate(manager, PROMPTS, config));
            assertEquals(before + NEW_TOKENS, model.fusedDecodeSteps());
        }
    }

    @Test
    void greedyTokensMatchTransformersFixture() throws Exception {
        TransformersFixture fixture = TransformersFixture.open("llama-tiny");
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = LlamaModels.fromCheckpoint(fixture.base(), manager);
            Generator generator = new Generator(model);
            List<int[]> prompts = fixture.prompts();
            for (int i = 0; i < prompts.size(); i++) {
                long before = model.fusedDecodeSteps();
                int[] ours = generator.generate(manager, List.of(prompts.get(i)), GenerationConfig.greedy(8)).get(0);
                assertArrayEquals(fixture.generated("generate_base", i), ours, "case " + i);
                assertEquals(before + 8, model.fusedDecodeSteps(), "case " + i + " ran fused");
            }
        }
    }

    @Test
    void anUnmergedLoraKeepsTheBlockForwardAndAMergedOneRunsFused() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, "llama", false, 24);
            Steps base = steps(manager, model, true);
            AdapterModel<LlamaForCausalLM> adapters = Adapters.init(model);
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            adapters.addAdapter("a", LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE)
                    .targetModules("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
                    .build());
            adapters.setActiveAdapters("a");

            long before = model.fusedDecodeSteps();
            Steps unmerged = steps(manager, model, true);
            assertEquals(before, model.fusedDecodeSteps(), "an active unmerged LoRA runs block by block");
            assertTrue(maxDifference(base.logits, unmerged.logits) > 1e-2, "the adapter changes the logits");

            adapters.mergeAdapter("a");
            Steps merged = steps(manager, model, true);
            assertEquals(before + NEW_TOKENS, model.fusedDecodeSteps(), "a merged LoRA runs fused");
            assertSameTokens(unmerged.tokens, merged.tokens);
            double worst = maxDifference(unmerged.logits, merged.logits);
            assertTrue(worst < 1e-4, "merged logits differ from unmerged by " + worst);

            adapters.unmergeAdapter("a");
            try (var off = adapters.disableAdapters()) {
                Steps again = steps(manager, model, true);
                assertEquals(before + 2 * NEW_TOKENS, model.fusedDecodeSteps(), "disabled adapters run fused");
                Steps blocks = steps(manager, model, false);
                double worst2 = maxDifference(blocks.logits, again.logits);
                assertTrue(worst2 < 1e-5, "after unmerging, fused and block logits differ by " + worst2);
                // unmerging subtracts what merging added: the weights come back up to rounding, as merged ones did
                double back = maxDifference(base.logits, again.logits);
                assertTrue(back < 1e-4, "after unmerging, the base weights are read again; differ by " + back);
            }
        }
    }

    @Test
    void concurrentGenerationsOnOneModelGiveTheTokensOfOneAtATime() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, "mistral", false, 26);
            Generator generator = new Generator(model);
            List<List<int[]>> prompts = List.of(PROMPTS, List.of(PROMPTS.get(1)), List.of(PROMPTS.get(2), PROMPTS.get(0)));
            List<List<int[]>> alone = new ArrayList<>();
            for (List<int[]> batch : prompts) {
                alone.add(generator.generate(manager, batch, GenerationConfig.greedy(NEW_TOKENS)));
            }
            long before = model.fusedDecodeSteps();
            int rounds = 4;
            var pool = java.util.concurrent.Executors.newFixedThreadPool(prompts.size());
            try {
                var start = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<List<List<int[]>>>> runs = new ArrayList<>();
                for (List<int[]> batch : prompts) {
                    runs.add(pool.submit(() -> {
                        start.await();
                        List<List<int[]>> out = new ArrayList<>();
                        for (int r = 0; r < rounds; r++) {
                            out.add(generator.generate(manager, batch, GenerationConfig.greedy(NEW_TOKENS)));
                        }
                        return out;
                    }));
                }
                start.countDown();
                for (int i = 0; i < prompts.size(); i++) {
                    for (List<int[]> tokens : runs.get(i).get(2, java.util.concurrent.TimeUnit.MINUTES)) {
                        assertSameTokens(alone.get(i), tokens);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(before + (long) rounds * prompts.size() * NEW_TOKENS, model.fusedDecodeSteps(),
                    "every step of every thread ran fused");
        }
    }

    @Test
    void weightsReplacedAfterAGenerationAreReadByTheNext() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, "qwen2", false, 25);
            Steps first = steps(manager, model, true);
            // a checkpoint load replaces values through ArrayValues.replace (new storage behind the same array)
            NDArray q = model.model.layers.get(1).self_attn.q_proj.getParameters().get("weight").getArray();
            NDArray head = model.lm_head.getParameters().get("weight").getArray();
            try (NDManager scope = manager.newSubManager()) {
                ArrayValues.replace(q, q.mul(1.5f));
                ArrayValues.replace(head, head.mul(-1f));
            }
            Steps blocks = steps(manager, model, false);
            Steps fused = steps(manager, model, true);
            assertTrue(maxDifference(first.logits, fused.logits) > 1e-2, "the new weights change the logits");
            double worst = maxDifference(blocks.logits, fused.logits);
            assertTrue(worst < 1e-5, "fused logits after the load differ from the block forward's by " + worst);
        }
    }

    @Test
    void repeatedFusedGenerationsLeaveTheArrayCountsWhereTheyWere() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(manager, "llama", true, 26);
            Generator generator = new Generator(model);
            Supplier<List<int[]>> run = () -> generator.generate(caller, PROMPTS, GenerationConfig.greedy(NEW_TOKENS));
            List<int[]> reference = run.get();
            long before = model.fusedDecodeSteps();
            ArrayCounts.assertFlatOver(4, () -> assertSameTokens(reference, run.get()), manager, caller);
            assertEquals(before + 5 * NEW_TOKENS, model.fusedDecodeSteps());
        }
    }

    /** Greedy tokens and the last-position logits of every step (the prompt's first), run as the Generator does. */
    private record Steps(List<int[]> tokens, List<float[]> logits) {}

    private static Steps steps(NDManager manager, LlamaForCausalLM model, boolean fused) {
        LlamaDecodeStep.setEnabled(fused);
        int batch = PROMPTS.size();
        int longest = PROMPTS.stream().mapToInt(p -> p.length).max().orElseThrow();
        int total = longest + NEW_TOKENS;
        long[][] tokens = new long[batch][total];
        long[][] mask = new long[batch][total];
        for (int b = 0; b < batch; b++) {
            int[] prompt = PROMPTS.get(b);
            for (int t = 0; t < prompt.length; t++) {
                tokens[b][longest - prompt.length + t] = prompt[t];
                mask[b][longest - prompt.length + t] = 1;
            }
        }
        List<int[]> picked = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            picked.add(new int[NEW_TOKENS]);
        }
        List<float[]> logits = new ArrayList<>();
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager run = manager.newSubManager();
                KeyValueCache cache = new KeyValueCache(run, model.numLayers(), total)) {
            ParameterStore ps = new ParameterStore(run, false);
            int length = longest;
            for (int step = 0; step < NEW_TOKENS; step++) {
                int from = step == 0 ? 0 : length - 1;
                try (NDManager scope = run.newSubManager()) {
                    NDArray ids = scope.create(columns(tokens, from, length), new Shape(batch, length - from));
                    NDArray seen = scope.create(columns(mask, 0, length), new Shape(batch, length));
                    NDArray positions = CausalAttentionMask.positionIds(seen, length - from);
                    float[] values = model.logits(ps, ids, seen, positions, cache, true).toFloatArray();
                    logits.add(values);
                    int vocab = values.length / batch;
                    for (int b = 0; b < batch; b++) {
                        int best = 0;
                        for (int v = 1; v < vocab; v++) {
                            if (values[b * vocab + v] > values[b * vocab + best]) {
                                best = v;
                            }
                        }
                        picked.get(b)[step] = best;
                        tokens[b][length] = best;
                        mask[b][length] = 1;
                    }
                }
                length++;
            }
        }
        LlamaDecodeStep.setEnabled(true);
        return new Steps(picked, logits);
    }

    private static long[] columns(long[][] rows, int from, int to) {
        long[] out = new long[rows.length * (to - from)];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], from, out, b * (to - from), to - from);
        }
        return out;
    }

    private static double maxDifference(List<float[]> a, List<float[]> b) {
        assertEquals(a.size(), b.size());
        double worst = 0;
        for (int s = 0; s < a.size(); s++) {
            assertEquals(a.get(s).length, b.get(s).length);
            for (int i = 0; i < a.get(s).length; i++) {
                worst = Math.max(worst, Math.abs(a.get(s)[i] - b.get(s)[i]));
            }
        }
        return worst;
    }

    private static void assertSameTokens(List<int[]> expected, List<int[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "row " + i + ": " + Arrays.toString(actual.get(i)));
        }
    }
}

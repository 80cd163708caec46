package io.github.djladapters.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generation on seeded random GPT-2 and Llama checkpoints: with the cache equals recomputing the
 * whole sequence, batched (left-padded) equals one by one, sampling is seeded, stop tokens stop.
 */
class GenerationTest {

    private static final List<int[]> PROMPTS = List.of(
            new int[] {1, 17, 4}, new int[] {1, 9, 30, 22, 41, 8, 13}, new int[] {1, 5, 6, 40, 2});

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static CausalLanguageModel gpt2;
    private static CausalLanguageModel llama;

    @BeforeAll
    static void writeAndLoad() throws Exception {
        manager = NDManager.newBaseManager();
        GPT2Config g = TinyDecoderCheckpoints.tinyGpt2();
        var gShapes = TinyDecoderCheckpoints.shapes(g);
        TinyDecoderCheckpoints.write(dir.resolve("gpt2"), g.toJson(), gShapes,
                TinyDecoderCheckpoints.randomWeights(gShapes, 21, 0.3));
        gpt2 = GPT2Models.fromCheckpoint(dir.resolve("gpt2"), manager);
        LlamaConfig l = TinyDecoderCheckpoints.tinyLlama("llama", false);
        var lShapes = TinyDecoderCheckpoints.shapes(l);
        TinyDecoderCheckpoints.write(dir.resolve("llama"), l.toJson(), lShapes,
                TinyDecoderCheckpoints.randomWeights(lShapes, 22, 0.3));
        llama = LlamaModels.fromCheckpoint(dir.resolve("llama"), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<String> models() {
        return Stream.of("gpt2", "llama");
    }

    private static CausalLanguageModel model(String name) {
        return name.equals("gpt2") ? gpt2 : llama;
    }

    @ParameterizedTest
    @MethodSource("models")
    void greedyWithCacheEqualsRecomputingEachStep(String name) {
        Generator generator = new Generator(model(name));
        GenerationConfig config = GenerationConfig.greedy(20);
        assertSame(generator.generate(manager, PROMPTS, config.withCache(false)),
                generator.generate(manager, PROMPTS, config));
    }

    @ParameterizedTest
    @MethodSource("models")
    void samplingWithCacheEqualsRecomputingEachStep(String name) {
        Generator generator = new Generator(model(name));
        GenerationConfig config = GenerationConfig.greedy(20).withSampling(0.9f, 20, 0.9f, 7L);
        assertSame(generator.generate(manager, PROMPTS, config.withCache(false)),
                generator.generate(manager, PROMPTS, config));
    }

    @ParameterizedTest
    @MethodSource("models")
    void batchedPromptsOfDifferentLengthsEqualOneByOne(String name) {
        Generator generator = new Generator(model(name));
        GenerationConfig config = GenerationConfig.greedy(16);
        List<int[]> batched = generator.generate(manager, PROMPTS, config);
        List<int[]> single = new ArrayList<>();
        for (int[] prompt : PROMPTS) {
            single.add(generator.generate(manager, List.of(prompt), config).get(0));
        }
        assertSame(single, batched);
    }

    @ParameterizedTest
    @MethodSource("models")
    void leftPaddedLogitsEqualUnpaddedLogits(String name) {
        CausalLanguageModel model = model(name);
        int[] prompt = PROMPTS.get(0);
        int pad = 4;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            float[] alone = model.forward(ps, new NDList(ids(scope, new int[0], prompt)), false).head().toFloatArray();
            long[] mask = new long[pad + prompt.length];
            java.util.Arrays.fill(mask, pad, mask.length, 1L);
            NDArray padded = model.forward(ps, new NDList(ids(scope, new int[pad], prompt),
                    scope.create(mask, new Shape(1, mask.length))), false).head();
            float[] real = padded.get(":, " + pad + ":, :").toFloatArray();
            double worst = 0;
            for (int i = 0; i < alone.length; i++) {
                worst = Math.max(worst, Math.abs(alone[i] - real[i]));
            }
            assertTrue(worst < 1e-5, "max abs diff " + worst);
        }
    }

    @Test
    void seededSamplingRepeatsAndTopKOneIsGreedy() {
        Generator generator = new Generator(llama);
        GenerationConfig sampling = GenerationConfig.greedy(24).withSampling(1.5f, 0, 1f, 3L);
        assertSame(generator.generate(manager, PROMPTS, sampling), generator.generate(manager, PROMPTS, sampling));
        List<int[]> other = generator.generate(manager, PROMPTS, sampling.withSampling(1.5f, 0, 1f, 4L));
        assertFalse(sameTokens(generator.generate(manager, PROMPTS, sampling), other), "another seed, other tokens");
        assertSame(generator.generate(manager, PROMPTS, GenerationConfig.greedy(12)),
                generator.generate(manager, PROMPTS, GenerationConfig.greedy(12).withSampling(0.7f, 1, 1f, 9L)));
    }

    @Test
    void stopTokenEndsOnlyItsSequence() {
        Generator generator = new Generator(gpt2);
        List<int[]> free = generator.generate(manager, PROMPTS, GenerationConfig.greedy(10));
        int stop = free.get(1)[2];
        List<int[]> stopped = generator.generate(manager, PROMPTS, GenerationConfig.greedy(10).withStopTokens(Set.of(stop)));
        for (int b = 0; b < PROMPTS.size(); b++) {
            int end = 0;
            while (end < free.get(b).length && free.get(b)[end] != stop) {
                end++;
            }
            int[] expected = java.util.Arrays.copyOf(free.get(b), Math.min(end + 1, free.get(b).length));
            assertArrayEquals(expected, stopped.get(b), "row " + b);
        }
        int[] row = stopped.get(1);
        assertTrue(row.length <= 3 && row[row.length - 1] == stop, "row 1 ends at its first stop token");
    }

    @Test
    void prefixExtensionSeesTheCacheAndKeepsCachedGenerationExact() {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        List<KeyValueAttention> attentions = new ArrayList<>();
        for (var block : io.github.djladapters.runtime.bindings.ModulePaths.all(llama).values()) {
            if (block instanceof KeyValueAttention attention) {
                attentions.add(attention);
            }
        }
        assertEquals(config.numHiddenLayers(), attentions.size());
        Generator generator = new Generator(llama);
        GenerationConfig greedy = GenerationConfig.greedy(12);
        List<int[]> plain = generator.generate(manager, PROMPTS, greedy);
        try (NDManager prefixes = manager.newSubManager()) {
            Shape shape = new Shape(1, config.numKeyValueHeads(), 3, config.headDim());
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            for (KeyValueAttention attention : attentions) {
                NDArray keys = prefixes.randomNormal(0f, 2f, shape, ai.djl.ndarray.types.DataType.FLOAT32);
                NDArray values = prefixes.randomNormal(0f, 2f, shape, ai.djl.ndarray.types.DataType.FLOAT32);
                attention.setKeyValueExtension((q, k, v) -> ExtendedKeyValues.prepend(keys, values, k, v));
            }
            List<int[]> cached = generator.generate(manager, PROMPTS, greedy);
            assertSame(generator.generate(manager, PROMPTS, greedy.withCache(false)), cached);
            assertFalse(sameTokens(plain, cached), "the prefix changes what is generated");
        } finally {
            attentions.forEach(a -> a.setKeyValueExtension(null));
        }
    }

    private static NDArray ids(NDManager scope, int[] padding, int[] prompt) {
        long[] ids = new long[padding.length + prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            ids[padding.length + i] = prompt[i];
        }
        return scope.create(ids, new Shape(1, ids.length));
    }

    private static boolean sameTokens(List<int[]> a, List<int[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return a.size() == b.size();
    }

    private static void assertSame(List<int[]> expected, List<int[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "row " + i);
        }
    }
}

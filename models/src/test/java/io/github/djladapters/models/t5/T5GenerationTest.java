package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Seq2SeqGenerator;
import io.github.djladapters.models.t5.ReferenceT5.Positions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Encoder-decoder generation on seeded random T5 checkpoints: greedy tokens equal the reference's
 * argmax decoding, the self-attention cache (with cross-attention keys and values projected once)
 * equals rerunning the whole decoder sequence, a batch of inputs of different lengths equals each
 * input alone, and stop tokens end only their row.
 */
class T5GenerationTest {

    private static final List<int[]> INPUTS = List.of(T5MatchesReferenceTest.INPUT, new int[] {7, 3, 1},
            T5MatchesReferenceTest.SHORT_INPUT, new int[] {38, 2, 9, 9, 27, 16, 4, 1});

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static T5ForConditionalGeneration relu;
    private static T5ForConditionalGeneration gated;
    private static Map<String, float[]> gatedWeights;

    @BeforeAll
    static void writeAndLoad() throws Exception {
        manager = NDManager.newBaseManager();
        TinyT5Checkpoints.write(dir.resolve("relu"), TinyT5Checkpoints.tiny("relu", true), 51);
        relu = T5Models.fromCheckpoint(dir.resolve("relu"), manager);
        gatedWeights = TinyT5Checkpoints.write(dir.resolve("gated"), TinyT5Checkpoints.tiny("gated-gelu", false), 52);
        gated = T5Models.fromCheckpoint(dir.resolve("gated"), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static T5ForConditionalGeneration model(String name) {
        return name.equals("relu") ? relu : gated;
    }

    @Test
    void greedyTokensEqualTheReferenceArgmax() {
        T5Config config = gated.config();
        ReferenceT5 reference = new ReferenceT5(config, gatedWeights, Positions.T5);
        List<int[]> ours = new Seq2SeqGenerator(gated).generate(manager, INPUTS, GenerationConfig.greedy(10));
        for (int b = 0; b < INPUTS.size(); b++) {
            float[][] encoded = reference.encode(INPUTS.get(b));
            List<Integer> decoded = new ArrayList<>(List.of(config.decoderStartTokenId()));
            int[] expected = new int[10];
            for (int step = 0; step < expected.length; step++) {
                float[][] logits = reference.logits(decoded.stream().mapToInt(Integer::intValue).toArray(), encoded);
                expected[step] = argmax(logits[logits.length - 1]);
                decoded.add(expected[step]);
            }
            assertArrayEquals(expected, ours.get(b), "input " + b);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gated"})
    void greedyWithCacheEqualsRecomputingEachStep(String name) {
        Seq2SeqGenerator generator = new Seq2SeqGenerator(model(name));
        GenerationConfig config = GenerationConfig.greedy(16);
        List<int[]> cached = generator.generate(manager, INPUTS, config);
        assertSame(generator.generate(manager, INPUTS, config.withCache(false)), cached);
        assertEquals(16, cached.get(0).length, "no stop token: every step generates");
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gated"})
    void samplingWithCacheEqualsRecomputingEachStep(String name) {
        Seq2SeqGenerator generator = new Seq2SeqGenerator(model(name));
        GenerationConfig config = GenerationConfig.greedy(16).withSampling(0.9f, 20, 0.9f, 7L);
        List<int[]> cached = generator.generate(manager, INPUTS, config);
        assertSame(generator.generate(manager, INPUTS, config.withCache(false)), cached);
        assertFalse(sameTokens(generator.generate(manager, INPUTS, GenerationConfig.greedy(16)), cached),
                "sampling picks other tokens than greedy");
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gated"})
    void batchedInputsOfDifferentLengthsEqualOneByOne(String name) {
        Seq2SeqGenerator generator = new Seq2SeqGenerator(model(name));
        GenerationConfig config = GenerationConfig.greedy(12);
        List<int[]> batched = generator.generate(manager, INPUTS, config);
        List<int[]> single = new ArrayList<>();
        for (int[] input : INPUTS) {
            single.add(generator.generate(manager, List.of(input), config).get(0));
        }
        assertSame(single, batched);
        assertFalse(sameTokens(List.of(batched.get(0)), List.of(batched.get(1))), "inputs lead to different outputs");
    }

    @Test
    void stopTokenEndsOnlyItsRow() {
        Seq2SeqGenerator generator = new Seq2SeqGenerator(gated);
        List<int[]> free = generator.generate(manager, INPUTS, GenerationConfig.greedy(10));
        int stop = free.get(2)[1];
        GenerationConfig stopping = GenerationConfig.greedy(10).withStopTokens(Set.of(stop));
        List<int[]> stopped = generator.generate(manager, INPUTS, stopping);
        for (int b = 0; b < INPUTS.size(); b++) {
            int end = 0;
            while (end < free.get(b).length && free.get(b)[end] != stop) {
                end++;
            }
            assertArrayEquals(Arrays.copyOf(free.get(b), Math.min(end + 1, free.get(b).length)), stopped.get(b),
                    "row " + b);
        }
        int[] row = stopped.get(2);
        assertTrue(row.length <= 2 && row[row.length - 1] == stop, "row 2 ends at its first stop token");
        assertSame(generator.generate(manager, INPUTS, stopping.withCache(false)), stopped);
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void assertSame(List<int[]> expected, List<int[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "row " + i);
        }
    }

    private static boolean sameTokens(List<int[]> a, List<int[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return a.size() == b.size();
    }
}

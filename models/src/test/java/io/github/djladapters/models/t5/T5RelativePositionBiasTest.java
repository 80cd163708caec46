package io.github.djladapters.models.t5;

import static io.github.djladapters.models.t5.T5Arrays.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.t5.ReferenceT5.Positions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Relative position buckets equal hand-computed ones for known distances; the bias is held by block
 * 0 only and shapes the outputs: without it, or with distances taken the wrong way round, the
 * reference gives other outputs, and zeroing it in the model gives the reference without positions.
 */
class T5RelativePositionBiasTest {

    @TempDir
    static Path dir;

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void bucketsOfT5DefaultsMatchHandComputedValues() {
        // 32 buckets up to distance 128; relative position = key - query.
        // Encoder: 16 buckets per direction, exact below 8, then 8 + floor(ln(d/8) / ln(16) * 8), at most 15.
        RelativePositionBuckets encoder = new RelativePositionBuckets(true, 32, 128);
        int[][] bidirectional = {{0, 0}, {-1, 1}, {1, 17}, {-7, 7}, {-8, 8}, {8, 24}, {-15, 9}, {-16, 10},
            {20, 26}, {-100, 15}, {-200, 15}, {100, 31}, {200, 31}};
        for (int[] pair : bidirectional) {
            assertEquals(pair[1], encoder.bucket(pair[0]), "encoder, relative position " + pair[0]);
        }
        // Decoder: keys after the query share bucket 0; exact below 16, then 16 + floor(ln(d/16) / ln(8) * 16), at most 31.
        RelativePositionBuckets decoder = new RelativePositionBuckets(false, 32, 128);
        int[][] unidirectional = {{5, 0}, {0, 0}, {-3, 3}, {-15, 15}, {-16, 16}, {-20, 17}, {-64, 26}, {-127, 31},
            {-128, 31}, {-1000, 31}};
        for (int[] pair : unidirectional) {
            assertEquals(pair[1], decoder.bucket(pair[0]), "decoder, relative position " + pair[0]);
        }
    }

    @Test
    void bucketsOfTheTinyConfigMatchHandComputedValues() {
        // 8 buckets up to distance 20, as in the tiny checkpoints.
        RelativePositionBuckets encoder = new RelativePositionBuckets(true, 8, 20);
        int[][] bidirectional = {{0, 0}, {-1, 1}, {-2, 2}, {-3, 2}, {-6, 2}, {-7, 3}, {-100, 3}, {1, 5}, {3, 6},
            {7, 7}};
        for (int[] pair : bidirectional) {
            assertEquals(pair[1], encoder.bucket(pair[0]), "encoder, relative position " + pair[0]);
        }
        RelativePositionBuckets decoder = new RelativePositionBuckets(false, 8, 20);
        int[][] unidirectional = {{3, 0}, {-5, 4}, {-7, 5}, {-10, 6}, {-12, 6}, {-14, 7}, {-20, 7}};
        for (int[] pair : unidirectional) {
            assertEquals(pair[1], decoder.bucket(pair[0]), "decoder, relative position " + pair[0]);
        }
    }

    @Test
    void bucketsAgreeWithTheReferenceThresholdsAtEveryDistance() {
        for (int[] sizes : new int[][] {{32, 128}, {8, 20}, {64, 256}}) {
            ReferenceT5 reference = new ReferenceT5(new T5Config(10, 8, 4, 8, 1, 1, 2, sizes[0], sizes[1], 1e-6,
                    "relu", true, 0, 0, 1), Map.of(), Positions.T5);
            for (boolean bidirectional : new boolean[] {true, false}) {
                RelativePositionBuckets buckets = new RelativePositionBuckets(bidirectional, sizes[0], sizes[1]);
                for (int relative = -600; relative <= 600; relative++) {
                    assertEquals(reference.bucket(relative, bidirectional), buckets.bucket(relative),
                            sizes[0] + "/" + sizes[1] + " bidirectional=" + bidirectional + " at " + relative);
                }
            }
        }
    }

    @Test
    void tableOffsetsQueriesByTheCachedLength() {
        RelativePositionBuckets decoder = new RelativePositionBuckets(false, 8, 20);
        long[] full = decoder.table(6, 6, 0);
        long[] lastRow = decoder.table(1, 6, 5);
        for (int j = 0; j < 6; j++) {
            assertEquals(full[5 * 6 + j], lastRow[j], "key " + j);
        }
    }

    @Test
    void onlyBlockZeroHoldsTheBiasAndTheBiasShapesTheOutputs() throws Exception {
        T5Config config = TinyT5Checkpoints.tiny("relu", true);
        Path path = dir.resolve("bias");
        Map<String, float[]> weights = TinyT5Checkpoints.write(path, config, 41);
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(path, manager);
        for (int i = 1; i < config.numLayers(); i++) {
            assertNull(t5.encoder.block.get(i).selfAttention().relative_attention_bias, "encoder block " + i);
        }
        for (int i = 1; i < config.numDecoderLayers(); i++) {
            assertNull(t5.decoder.block.get(i).selfAttention().relative_attention_bias, "decoder block " + i);
        }
        int[] input = T5MatchesReferenceTest.INPUT;
        int[] decoderIds = T5MatchesReferenceTest.DECODER;
        float[][][] right = outputs(new ReferenceT5(config, weights, Positions.T5), input, decoderIds);
        float[][][] none = outputs(new ReferenceT5(config, weights, Positions.NONE), input, decoderIds);
        float[][][] mirrored = outputs(new ReferenceT5(config, weights, Positions.MIRRORED), input, decoderIds);
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray ids = T5Arrays.ids(scope, input);
            NDList in = new NDList(ids, ids.onesLike(), T5Arrays.ids(scope, decoderIds));
            NDArray encoded = t5.encode(ps, ids, ids.onesLike());
            NDArray logits = t5.forward(ps, in, false).head();
            double matching = Math.max(maxDiff(encoded, 0, right[0]), maxDiff(logits, 0, right[1]));
            double withoutBias = Math.min(maxDiff(encoded, 0, none[0]), maxDiff(logits, 0, none[1]));
            double mirroredBias = Math.min(maxDiff(encoded, 0, mirrored[0]), maxDiff(logits, 0, mirrored[1]));
            System.out.printf("T5 relative bias: reference %.2e, reference without bias %.2e, mirrored %.2e%n",
                    matching, withoutBias, mirroredBias);
            assertTrue(matching < 1e-4, "matches the reference: " + matching);
            assertTrue(withoutBias > 1e-2, "a model without the bias would fail the reference test: " + withoutBias);
            assertTrue(mirroredBias > 1e-2, "a mirrored bias would fail the reference test: " + mirroredBias);

            t5.encoder.block.get(0).selfAttention().relative_attention_bias.weight().getArray().set(new float[
                    config.relativeAttentionNumBuckets() * config.numHeads()]);
            t5.decoder.block.get(0).selfAttention().relative_attention_bias.weight().getArray().set(new float[
                    config.relativeAttentionNumBuckets() * config.numHeads()]);
            NDArray zeroedEncoded = t5.encode(ps, ids, ids.onesLike());
            NDArray zeroedLogits = t5.forward(ps, in, false).head();
            double zeroed = Math.max(maxDiff(zeroedEncoded, 0, none[0]), maxDiff(zeroedLogits, 0, none[1]));
            double changed = maxDiff(zeroedLogits, 0, right[1]);
            System.out.printf("T5 zeroed bias: vs reference without positions %.2e, change of logits %.2e%n", zeroed,
                    changed);
            assertTrue(zeroed < 1e-4, "zeroed bias equals no positions: " + zeroed);
            assertTrue(changed > 1e-2, "zeroing the bias changes the logits: " + changed);
        }
    }

    private static float[][][] outputs(ReferenceT5 reference, int[] input, int[] decoderIds) {
        float[][] encoded = reference.encode(input);
        return new float[][][] {encoded, reference.logits(decoderIds, encoded)};
    }
}

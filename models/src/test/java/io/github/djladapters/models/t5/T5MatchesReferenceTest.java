package io.github.djladapters.models.t5;

import static io.github.djladapters.models.t5.T5Arrays.maxDiff;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seeded random T5 checkpoints written in Hugging Face layout (relu and gated-gelu, tied and
 * untied) give the encoder output and decoder logits of an independent plain-Java forward pass, one
 * sequence alone or in a right-padded batch.
 */
class T5MatchesReferenceTest {

    /** 12 tokens: encoder distances up to 11 reach the logarithmic buckets and the last one. */
    static final int[] INPUT = {5, 12, 7, 33, 2, 19, 8, 25, 3, 14, 30, 1};
    static final int[] SHORT_INPUT = {22, 6, 31, 10, 1};
    /** 9 decoder tokens from the start token 0: distances up to 8 reach the logarithmic buckets. */
    static final int[] DECODER = {0, 9, 21, 4, 17, 36, 11, 2, 28};

    private static final double TOLERANCE = 1e-4;

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

    @ParameterizedTest
    @CsvSource({"relu, true, 31", "relu, false, 32", "gated-gelu, true, 33", "gated-gelu, false, 34"})
    void encoderOutputAndDecoderLogitsMatchReference(String feedForward, boolean tied, long seed) throws Exception {
        T5Config config = TinyT5Checkpoints.tiny(feedForward, tied);
        Path path = dir.resolve(feedForward + "-" + tied);
        Map<String, float[]> weights = TinyT5Checkpoints.write(path, config, seed);
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(path, manager);
        T5EncoderModel encoderOnly = T5Models.encoderFromCheckpoint(path, manager);
        ReferenceT5 reference = new ReferenceT5(config, weights, Positions.T5);
        float[][] expectedEncoded = reference.encode(INPUT);
        float[][] expectedLogits = reference.logits(DECODER, expectedEncoded);
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray ids = T5Arrays.ids(scope, INPUT);
            NDArray mask = ids.onesLike();
            double encoded = maxDiff(t5.encode(ps, ids, mask), 0, expectedEncoded);
            double encoderModel = maxDiff(encoderOnly.forward(ps, new NDList(ids, mask), false).head(), 0,
                    expectedEncoded);
            NDArray logits = t5.forward(ps, new NDList(ids, mask, T5Arrays.ids(scope, DECODER)), false).head();
            double decoded = maxDiff(logits, 0, expectedLogits);
            System.out.printf("T5 %s tied=%s vs plain-Java reference: encoder %.2e, T5EncoderModel %.2e, logits %.2e%n",
                    feedForward, tied, encoded, encoderModel, decoded);
            assertTrue(encoded < TOLERANCE, "encoder output differs by " + encoded);
            assertTrue(encoderModel < TOLERANCE, "T5EncoderModel output differs by " + encoderModel);
            assertTrue(decoded < TOLERANCE, "logits differ by " + decoded);
        }
    }

    @Test
    void rightPaddedBatchMatchesEachSequenceAlone() throws Exception {
        T5Config config = TinyT5Checkpoints.tiny("gated-gelu", false);
        Path path = dir.resolve("padded");
        Map<String, float[]> weights = TinyT5Checkpoints.write(path, config, 35);
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(path, manager);
        ReferenceT5 reference = new ReferenceT5(config, weights, Positions.T5);
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray[] batch = T5Arrays.padded(scope, INPUT, SHORT_INPUT);
            NDArray decoderIds = T5Arrays.padded(scope, DECODER, DECODER)[0];
            NDArray encoded = t5.encode(ps, batch[0], batch[1]);
            NDArray logits = t5.forward(ps, new NDList(batch[0], batch[1], decoderIds), false).head();
            double worst = 0;
            int row = 0;
            for (int[] input : new int[][] {INPUT, SHORT_INPUT}) {
                float[][] expectedEncoded = reference.encode(input);
                worst = Math.max(worst, maxDiff(encoded, row, expectedEncoded));
                worst = Math.max(worst, maxDiff(logits, row, reference.logits(DECODER, expectedEncoded)));
                row++;
            }
            System.out.printf("T5 right-padded batch vs each sequence alone: %.2e%n", worst);
            assertTrue(worst < TOLERANCE, "padded batch differs by " + worst);
        }
    }
}

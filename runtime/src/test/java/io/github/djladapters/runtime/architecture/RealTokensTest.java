package io.github.djladapters.runtime.architecture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The positions a {@link RealTokens} window chooses, checked position by position. */
class RealTokensTest {

    /** Left padding, right padding, a hole, and a row shorter than prefix plus suffix. */
    private static final long[][] MASK = {
        {0, 0, 1, 1, 1, 1},
        {1, 1, 1, 0, 0, 0},
        {1, 0, 1, 1, 0, 1},
        {0, 0, 0, 0, 1, 1},
    };

    private static float[][] rows(NDArray mask) {
        int batch = Math.toIntExact(mask.getShape().get(0));
        int seq = Math.toIntExact(mask.getShape().get(1));
        float[] values = mask.toFloatArray();
        float[][] out = new float[batch][seq];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(values, b * seq, out[b], 0, seq);
        }
        return out;
    }

    @Test
    void firstAndLastRealTokensOfEachRowSuffixWinning() {
        try (NDManager manager = NDManager.newBaseManager();
                RealTokens.Scope window = RealTokens.open(manager.create(MASK), 6)) {
            NDArray[] chosen = RealTokens.current().orElseThrow().firstAndLast(2, 1);
            assertArrayEquals(new long[] {4, 6, 1}, chosen[0].getShape().getShape());
            float[][] first = rows(chosen[0].squeeze(2));
            float[][] last = rows(chosen[1].squeeze(2));
            assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, first[0]);
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1}, last[0]);
            assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0}, first[1]);
            assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0}, last[1]);
            assertArrayEquals(new float[] {1, 0, 1, 0, 0, 0}, first[2]);
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1}, last[2]);
            // two real tokens, prefix 2 and suffix 1: the last is a suffix position only
            assertArrayEquals(new float[] {0, 0, 0, 0, 1, 0}, first[3]);
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1}, last[3]);
        }
    }

    @Test
    void aPassThatExtendsACacheCountsNoNewPosition() {
        try (NDManager manager = NDManager.newBaseManager()) {
            try (RealTokens.Scope window = RealTokens.open(manager.create(MASK), 1)) {
                assertFalse(RealTokens.current().orElseThrow().countsNewPositions());
            }
            assertTrue(RealTokens.current().isEmpty(), "closing the scope removes the window");
        }
    }

    @Test
    void generatedTokensAtTheEndAreNotCounted() {
        try (NDManager manager = NDManager.newBaseManager();
                RealTokens.Scope generated = RealTokens.generated(2);
                RealTokens.Scope window = RealTokens.open(manager.create(MASK), 6)) {
            NDArray[] chosen = RealTokens.current().orElseThrow().firstAndLast(1, 1);
            float[][] first = rows(chosen[0].squeeze(2));
            float[][] last = rows(chosen[1].squeeze(2));
            // row 0's prompt is columns 2 and 3, row 1's columns 0 to 2; row 3 has no prompt token left
            assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0}, first[0]);
            assertArrayEquals(new float[] {0, 0, 0, 1, 0, 0}, last[0]);
            assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0}, first[1]);
            assertArrayEquals(new float[] {0, 0, 1, 0, 0, 0}, last[1]);
            assertArrayEquals(new float[6], first[3]);
            assertArrayEquals(new float[6], last[3]);
        }
    }

    @Test
    void aMaskThatDoesNotCoverTheNewPositionsIsRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mask = manager.create(MASK);
            assertThrows(IllegalArgumentException.class, () -> RealTokens.open(mask, 7));
            assertThrows(IllegalArgumentException.class, () -> RealTokens.open(mask.reshape(24), 6));
        }
    }
}

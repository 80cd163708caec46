package io.github.djladapters.runtime.methods.virtualtokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The row bookkeeping of prompt and prefix tuning, against values worked out by hand: which virtual
 * tokens each row sees, how far its real tokens move and which positions its virtual tokens take.
 */
class VirtualTokenRowsTest {

    @Test
    void oneAdapterOnEveryRowMovesEveryRowByItsLength() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VirtualTokenRows rows = VirtualTokenRows.of(List.of(new VirtualTokenRows.Segment(3, null)), 2, manager);
            assertEquals(3, rows.length());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, rows.mask(DataType.INT64).toLongArray());
            assertArrayEquals(new long[] {3, 3}, rows.shift(DataType.INT64).toLongArray());
            assertNull(rows.additiveMask(), "nothing hidden");
            NDArray first = manager.create(new long[][] {{0}, {2}});
            assertArrayEquals(new long[] {0, 1, 2, 2, 3, 4}, rows.positions(first).toLongArray());
        }
    }

    @Test
    void routedAdaptersHideTheirTokensFromOtherRowsAndCountOnlyWhatARowSees() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // adapter a (2 tokens) on rows 0 and 2, adapter b (3 tokens) on row 1; row 3 is the base model
            NDArray a = manager.create(new float[] {1, 0, 1, 0});
            NDArray b = manager.create(new float[] {0, 1, 0, 0});
            VirtualTokenRows rows = VirtualTokenRows.of(
                    List.of(new VirtualTokenRows.Segment(2, a), new VirtualTokenRows.Segment(3, b)), 4, manager);
            assertEquals(5, rows.length());
            assertArrayEquals(new long[] {
                1, 1, 0, 0, 0,
                0, 0, 1, 1, 1,
                1, 1, 0, 0, 0,
                0, 0, 0, 0, 0}, rows.mask(DataType.INT64).toLongArray());
            assertArrayEquals(new long[] {2, 3, 2, 0}, rows.shift(DataType.INT64).toLongArray());
            float[] hidden = rows.additiveMask().toFloatArray();
            assertEquals(0f, hidden[0]);
            assertEquals(-Float.MAX_VALUE, hidden[2]);
            assertEquals(0f, hidden[7]);
            assertEquals(-Float.MAX_VALUE, hidden[15]);
            // row 1 counts b's tokens from 0; tokens a row does not see repeat a neighbour's position
            assertArrayEquals(new long[] {
                0, 1, 1, 1, 1,
                0, 0, 0, 1, 2,
                0, 1, 1, 1, 1,
                0, 0, 0, 0, 0}, rows.positions(manager.zeros(new ai.djl.ndarray.types.Shape(4, 1), DataType.INT64))
                    .toLongArray());
        }
    }

    @Test
    void theFirstPositionIsTheSmallestOverRealTokens() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // RoBERTa-like positions start after the padding id; padding itself has the padding id
            NDArray positions = manager.create(new long[][] {{2, 3, 4}, {1, 2, 3}});
            NDArray mask = manager.create(new long[][] {{1, 1, 1}, {0, 1, 1}});
            assertArrayEquals(new long[] {2, 2}, VirtualTokenRows.firstPosition(positions, mask).toLongArray());
        }
    }
}

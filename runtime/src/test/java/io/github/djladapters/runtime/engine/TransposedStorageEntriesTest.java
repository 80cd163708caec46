package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** {@link TransposedStorage} follows its arrays weakly: the entries of a closed model's weights leave once collected. */
class TransposedStorageEntriesTest {

    private static final int WEIGHTS = 50;

    @Test
    void entriesOfCollectedArraysLeaveTheMap() throws InterruptedException {
        int before = TransposedStorage.tracked();
        try (NDManager model = NDManager.newBaseManager()) {
            for (int i = 0; i < WEIGHTS; i++) {
                TransposedStorage.store(model.ones(new Shape(4, 3)));
            }
            assertEquals(before + WEIGHTS, TransposedStorage.tracked(), "one entry per stored weight");
        }
        // the closed manager's arrays are unreachable now; each collection may clear some references
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (TransposedStorage.tracked() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(TransposedStorage.tracked() <= before,
                "entries left: " + TransposedStorage.tracked() + ", before the model: " + before);
    }
}

package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@link WeightsSnapshot} holds while its sources are the same objects with the same native
 * handles and no storage was swapped anywhere; each of those changes alone makes it stale.
 */
class WeightsSnapshotTest {

    @Test
    void holdsWhileNothingChangesAndAcceptsNullsAndOtherObjects() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(new float[] {1, 2, 3, 4});
            Object adapter = new Object();
            WeightsSnapshot snapshot = WeightsSnapshot.of(Arrays.asList(weight, null, adapter));
            assertTrue(snapshot.stillHolds(weight, null, adapter));
            weight.muli(2f); // in place: same tensor, same handle; callers that allow this drop copies themselves
            assertTrue(snapshot.stillHolds(weight, null, adapter));
        }
    }

    @Test
    void anotherObjectOrOrderOrLengthIsStale() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(new float[] {1, 2, 3, 4});
            NDArray bias = manager.create(new float[] {1});
            NDArray equalValues = manager.create(new float[] {1, 2, 3, 4});
            WeightsSnapshot snapshot = WeightsSnapshot.of(weight, bias);
            assertFalse(snapshot.stillHolds(equalValues, bias), "compared by identity, not by values");
            assertFalse(snapshot.stillHolds(bias, weight));
            assertFalse(snapshot.stillHolds(weight));
            assertFalse(snapshot.stillHolds(List.of(weight, bias, weight)));
            assertTrue(snapshot.stillHolds(List.of(weight, bias)));
        }
    }

    @Test
    void aStorageSwapWithoutTheCountIsStaleByTheHandle() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(new float[] {1, 2, 3, 4});
            long handle = ((PtNDArray) weight).getHandle();
            WeightsSnapshot snapshot = WeightsSnapshot.of(weight);
            weight.intern(manager.create(new float[] {5, 6, 7, 8})); // a swap ArrayValues does not count
            assertNotEquals(handle, ((PtNDArray) weight).getHandle());
            assertTrue(snapshot.noSwapsSince());
            assertFalse(snapshot.stillHolds(weight), "same object, another tensor");
        }
    }

    @Test
    void aCountedSwapAnywhereIsStaleEvenWithTheSameObjectAndHandle() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(new float[] {1, 2, 3, 4});
            NDArray elsewhere = manager.create(new float[] {1, 2});
            long handle = ((PtNDArray) weight).getHandle();
            WeightsSnapshot snapshot = WeightsSnapshot.of(weight);
            ArrayValues.replace(elsewhere, manager.create(new float[] {3, 4}));
            assertTrue(handle == ((PtNDArray) weight).getHandle(), "the weight itself did not change");
            assertFalse(snapshot.noSwapsSince());
            assertFalse(snapshot.stillHolds(weight), "a reused handle could hide a swap: the count says so");
            assertTrue(WeightsSnapshot.of(weight).stillHolds(weight), "a new snapshot holds again");
        }
    }
}

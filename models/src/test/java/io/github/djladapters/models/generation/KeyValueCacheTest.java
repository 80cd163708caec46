package io.github.djladapters.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import org.junit.jupiter.api.Test;

/**
 * A preallocated cache holds what concatenation would, grows past its capacity, hands layers views
 * owned by the step, and keeps its array count flat however many steps run.
 */
class KeyValueCacheTest {

    @Test
    void appendsInPlaceEqualConcatenationAndGrowPastTheCapacity() {
        try (NDManager manager = NDManager.newBaseManager(); KeyValueCache cache = new KeyValueCache(manager, 1, 3)) {
            NDArray keys = manager.randomUniform(-1, 1, new Shape(2, 3, 2, 4));
            NDArray values = manager.randomUniform(-1, 1, new Shape(2, 3, 2, 4));
            assertSame(null, KeyValueCache.Append.of(cache.layerParams(0, null)), "no append before the prompt");
            cache.update(0, keys, values); // the prompt: copied into the buffer
            assertEquals(2, cache.length());
            for (int step = 0; step < 4; step++) { // capacity 3: the second step grows the buffer
                try (NDManager scope = manager.newSubManager()) {
                    NDList cached = cache.read(0, scope);
                    assertArrayEquals(keys.toFloatArray(), cached.get(0).toFloatArray());
                    assertArrayEquals(values.toFloatArray(), cached.get(1).toFloatArray());
                    PairList<String, Object> params = new PairList<>();
                    params.add("other", "kept");
                    PairList<String, Object> own = cache.layerParams(0, params);
                    assertEquals("kept", own.get("other"));
                    KeyValueCache.Append append = KeyValueCache.Append.of(own);
                    assertNotNull(append);
                    NDArray freshKeys = scope.randomUniform(-1, 1, new Shape(2, 3, 1, 4));
                    NDArray freshValues = scope.randomUniform(-1, 1, new Shape(2, 3, 1, 4));
                    NDArray allKeys = append.keys(freshKeys);
                    NDArray allValues = append.values(freshValues);
                    assertSame(scope, allKeys.getManager(), "the view belongs to the step");
                    NDArray expectedKeys = keys.concat(freshKeys, 2);
                    NDArray expectedValues = values.concat(freshValues, 2);
                    expectedKeys.attach(manager);
                    expectedValues.attach(manager);
                    assertArrayEquals(expectedKeys.toFloatArray(), allKeys.toFloatArray());
                    assertArrayEquals(expectedValues.toFloatArray(), allValues.toFloatArray());
                    cache.update(0, allKeys, allValues);
                    keys = expectedKeys;
                    values = expectedValues;
                }
                assertEquals(3 + step, cache.length());
            }
            assertArrayEquals(keys.toFloatArray(), cache.keys(0).toFloatArray());
        }
    }

    @Test
    void stepsLeaveTheCacheArrayCountFlat() {
        try (NDManager manager = NDManager.newBaseManager(); KeyValueCache cache = new KeyValueCache(manager, 1, 64)) {
            cache.update(0, manager.ones(new Shape(1, 2, 4, 8)), manager.ones(new Shape(1, 2, 4, 8)));
            int[] counts = new int[6];
            for (int step = 0; step < counts.length; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    NDList cached = cache.read(0, scope);
                    cached.get(0).transpose(0, 1, 3, 2).mul(2f); // derived arrays land in the step
                    KeyValueCache.Append append = KeyValueCache.Append.of(cache.layerParams(0, null));
                    cache.update(0, append.keys(scope.ones(new Shape(1, 2, 1, 8))),
                            append.values(scope.ones(new Shape(1, 2, 1, 8))));
                }
                counts[step] = manager.getManagedArrays().size();
            }
            assertEquals(counts[1], counts[counts.length - 1], "arrays after the second and the last step");
        }
    }

    @Test
    void aGrowingCacheHasNoAppend() {
        try (NDManager manager = NDManager.newBaseManager(); KeyValueCache cache = new KeyValueCache(manager, 1)) {
            cache.update(0, manager.ones(new Shape(1, 1, 2, 2)), manager.ones(new Shape(1, 1, 2, 2)));
            assertNull(KeyValueCache.Append.of(cache.layerParams(0, null)));
        }
    }
}

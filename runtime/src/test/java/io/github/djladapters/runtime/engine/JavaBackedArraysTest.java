package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class JavaBackedArraysTest {

    @Test
    void arraysMadeFromJavaValuesAreJavaBackedAndOpResultsAreNot() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertTrue(JavaBackedArrays.checkable(manager));
            NDArray values = manager.create(new float[] {1, 2, 3});
            assertTrue(JavaBackedArrays.isJavaBacked(values));
            assertFalse(JavaBackedArrays.isJavaBacked(values.add(values)));
            assertFalse(JavaBackedArrays.isJavaBacked(manager.ones(new Shape(3))));
            assertFalse(JavaBackedArrays.isJavaBacked(ArrayValues.owned(manager.create(new float[] {4}))));
        }
    }

    @Test
    void moveToTakesOnlyTheJavaBackedArraysOfAScopeAndItsSubManagers() {
        try (NDManager caller = NDManager.newBaseManager()) {
            NDArray kept;
            NDArray nested;
            NDArray freed;
            try (NDManager scope = caller.newSubManager()) {
                kept = scope.create(new float[] {1, 2});
                freed = kept.mul(kept);
                NDManager inner = scope.newSubManager();
                nested = inner.create(new long[] {7});
                inner.ones(new Shape(2));
                assertEquals(2, JavaBackedArrays.moveTo(scope, caller));
            }
            assertSame(caller, kept.getManager());
            assertSame(caller, nested.getManager());
            assertFalse(kept.isReleased());
            assertFalse(nested.isReleased());
            assertTrue(freed.isReleased());
            assertEquals(7L, nested.getLong(0));
        }
    }
}

package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class TransposedStorageTest {

    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(0.37 * i + 0.1);
        }
        return v;
    }

    @Test
    void storedWeightKeepsValuesShapeAndProducts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] w = values(5 * 3);
            NDArray weight = manager.create(w, new Shape(5, 3)).duplicate();
            NDArray x = manager.create(values(2 * 3), new Shape(2, 3));
            float[] before = Linear.linear(x, weight).head().toFloatArray();
            TransposedStorage.store(weight);
            assertTrue(TransposedStorage.isStored(weight));
            assertEquals(new Shape(5, 3), weight.getShape());
            assertArrayEquals(w, weight.toFloatArray(), 0f); // saved bytes read [out, in] in order
            assertEquals(w[1 * 3 + 2], weight.getFloat(1, 2), 0f);
            assertArrayEquals(before, Linear.linear(x, weight).head().toFloatArray(), 1e-6f);
            TransposedStorage.store(weight); // idempotent
            assertArrayEquals(w, weight.toFloatArray(), 0f);
            TransposedStorage.restore(weight);
            assertFalse(TransposedStorage.isStored(weight));
            assertArrayEquals(w, weight.toFloatArray(), 0f);
        }
    }

    @Test
    void replacingValuesKeepsTheLayoutAndReadsTheNewValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(values(4 * 6), new Shape(4, 6)).duplicate();
            TransposedStorage.store(weight);
            float[] next = values(4 * 6 + 3);
            float[] expected = java.util.Arrays.copyOfRange(next, 3, 27);
            ArrayValues.replace(weight, manager.create(expected, new Shape(4, 6)));
            assertTrue(TransposedStorage.isStored(weight));
            assertArrayEquals(expected, weight.toFloatArray(), 0f);
            // in-place writes (an optimizer step) land in the stored values
            weight.subi(1f);
            assertEquals(expected[7] - 1f, weight.getFloat(1, 1), 1e-6f);
        }
    }

    @Test
    void gradientsThroughAStoredWeightEqualThoseOfAPlainOne() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray plain = manager.create(values(5 * 3), new Shape(5, 3)).duplicate();
            NDArray stored = plain.duplicate();
            plain.setRequiresGradient(true);
            stored.setRequiresGradient(true);
            TransposedStorage.store(stored);
            assertTrue(stored.hasGradient());
            NDArray x = manager.create(values(2 * 3), new Shape(2, 3)).add(0.5f);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(Linear.linear(x, plain).head().square().sum());
                collector.backward(Linear.linear(x, stored).head().square().sum());
            }
            assertArrayEquals(plain.getGradient().toFloatArray(), stored.getGradient().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void onlyMatricesAreStored() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray vector = manager.create(values(4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TransposedStorage.store(vector));
            assertTrue(e.getMessage().contains("(4)"), e.getMessage());
        }
    }
}

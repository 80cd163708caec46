package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * {@link ArrayValues#replace(NDArray, NDArray)} leaves no arrays of its own behind, even when the new
 * values live in a manager that stays open (a model's: {@code weight.mul(s)} joins the weight's manager).
 */
class ArrayValuesReplaceTest {

    @Test
    void replacingFromTheTargetsOwnManagerLeavesOnlyTheValueThere() {
        try (NDManager model = NDManager.newBaseManager()) {
            NDArray plain = model.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray stored = model.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2));
            TransposedStorage.store(stored);
            int before = model.getManagedArrays().size();
            for (int round = 1; round <= 3; round++) {
                for (NDArray target : new NDArray[] {plain, stored}) {
                    NDArray value = target.mul(2f); // in the model's manager, as a merge's sum would be
                    ArrayValues.replace(target, value);
                    value.close();
                }
                assertEquals(before, model.getManagedArrays().size(), "arrays in the target's manager after round " + round);
            }
            assertTrue(TransposedStorage.isStored(stored), "the transposed layout is kept");
            float[] times8 = {8, 16, 24, 32, 40, 48};
            assertArrayEquals(times8, rowMajor(plain));
            assertArrayEquals(times8, rowMajor(stored));
        }
    }

    /** The values in row-major order, read through a contiguous copy that frees with a scope of its own. */
    private static float[] rowMajor(NDArray array) {
        try (NDManager scope = array.getManager().newSubManager()) {
            NDArray flat = array.flatten(); // DJL leaves a contiguous copy behind when it reads a strided array
            flat.attach(scope);
            return flat.toFloatArray();
        }
    }
}

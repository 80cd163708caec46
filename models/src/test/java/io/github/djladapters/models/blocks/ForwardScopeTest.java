package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardScopeTest {

    @Test
    void aTrainingLayerScopeFreesTorchIntermediatesAndKeepsJavaBackedArraysForBackward() {
        try (NDManager caller = NDManager.newBaseManager()) {
            NDArray x = caller.create(new float[] {1, 2, 3}).duplicate();
            x.setRequiresGradient(true);
            List<NDArray> made = new ArrayList<>();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = ForwardScope.runLayer(new NDList(x), true, scope -> {
                    NDArray weights = scope.create(new float[] {0.5f, -2f, 4f}); // over a Java buffer
                    NDArray shifted = x.add(x); // allocated by libtorch, a temporary
                    made.add(weights);
                    made.add(shifted);
                    return shifted.mul(weights).sin();
                });
                assertSame(caller, y.getManager());
                assertFalse(made.get(0).isReleased(), "the Java-backed array moved to the caller");
                assertSame(caller, made.get(0).getManager());
                assertTrue(made.get(1).isReleased(), "the temporary was freed at the end of the layer");
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    caller.zeros(new Shape(4096, 64), DataType.FLOAT32).addi(1e30f);
                }
                collector.backward(y.sum());
            }
            // d/dx sin(2 x w) = 2 w cos(2 x w)
            float[] w = {0.5f, -2f, 4f};
            float[] expected = new float[3];
            for (int i = 0; i < 3; i++) {
                expected[i] = (float) (2 * w[i] * Math.cos(2 * (i + 1) * w[i]));
            }
            assertArrayEquals(expected, x.getGradient().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void anInferenceLayerScopeFreesEverythingButTheResult() {
        try (NDManager caller = NDManager.newBaseManager()) {
            NDArray x = caller.create(new float[] {1, 2});
            List<NDArray> made = new ArrayList<>();
            NDArray y = ForwardScope.runLayer(new NDList(x), false, scope -> {
                made.add(scope.create(new float[] {3, 4}));
                return x.mul(made.get(0));
            });
            assertTrue(made.get(0).isReleased());
            assertSame(caller, y.getManager());
            assertSame(caller, x.getManager());
            assertArrayEquals(new float[] {3, 8}, y.toFloatArray());
            assertEquals(2, y.size());
        }
    }
}

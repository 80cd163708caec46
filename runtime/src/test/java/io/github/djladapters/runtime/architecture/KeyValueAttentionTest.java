package io.github.djladapters.runtime.architecture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.testmodel.TinyAttention;
import io.github.djladapters.runtime.testmodel.TinyModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeyValueAttentionTest {

    private static final int HIDDEN = 8;
    private static final int HEADS = 2;
    private static final int HEAD_DIM = HIDDEN / HEADS;

    private NDManager manager;
    private TinyAttention attention;
    private NDArray input;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        attention = TinyAttention.standalone(HIDDEN, HEADS);
        attention.initialize(manager, DataType.FLOAT32, new Shape(2, 3, HIDDEN));
        TinyModel.fill(attention, 5);
        input = manager.randomUniform(-1, 1, new Shape(2, 3, HIDDEN));
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void emptyPrefixLeavesTheOutputUnchanged() {
        float[] plain = forward();
        NDArray empty = manager.zeros(new Shape(1, HEADS, 0, HEAD_DIM));
        attention.setKeyValueExtension((q, k, v) -> ExtendedKeyValues.prepend(empty, empty, k, v));
        assertArrayEquals(plain, forward(), 1e-6f);
    }

    @Test
    void prefixChangesTheOutput() {
        float[] plain = forward();
        NDArray keys = manager.randomUniform(-1, 1, new Shape(1, HEADS, 2, HEAD_DIM));
        NDArray values = manager.randomUniform(-1, 1, new Shape(1, HEADS, 2, HEAD_DIM));
        attention.setKeyValueExtension((q, k, v) -> ExtendedKeyValues.prepend(keys, values, k, v));
        assertTrue(maxDifference(plain, forward()) > 1e-3);
    }

    @Test
    void maskedPrefixLeavesTheOutputUnchanged() {
        float[] plain = forward();
        NDArray keys = manager.randomUniform(-1, 1, new Shape(1, HEADS, 2, HEAD_DIM));
        NDArray hidden = manager.full(new Shape(1, 1, 1, 2), -1e9f);
        attention.setKeyValueExtension((q, k, v) -> {
            ExtendedKeyValues prefixed = ExtendedKeyValues.prepend(keys, keys, k, v);
            return new ExtendedKeyValues(prefixed.keys(), prefixed.values(), 2, hidden);
        });
        assertArrayEquals(plain, forward(), 1e-5f);
    }

    @Test
    void contextHookSeesTheContextBeforeTheOutputProjection() {
        attention.setKeyValueExtension(new KeyValueExtension() {
            @Override
            public ExtendedKeyValues extend(NDArray query, NDArray keys, NDArray values) {
                return ExtendedKeyValues.unchanged(keys, values);
            }

            @Override
            public NDArray extendContext(NDArray query, NDArray context) {
                assertEquals(new Shape(2, HEADS, 3, HEAD_DIM), context.getShape());
                return context.zerosLike();
            }
        });
        float[] bias = attention.oProj.getParameters().get("bias").getArray().toFloatArray();
        float[] out = forward();
        for (int row = 0; row < out.length / HIDDEN; row++) {
            for (int i = 0; i < HIDDEN; i++) {
                assertEquals(bias[i], out[row * HIDDEN + i], 1e-6f);
            }
        }
        attention.setKeyValueExtension(null);
        assertTrue(attention.keyValueExtension().isEmpty());
    }

    private float[] forward() {
        try (NDManager scope = manager.newSubManager()) {
            return attention.forward(new ParameterStore(scope, false), new NDList(input), false)
                    .singletonOrThrow().toFloatArray();
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

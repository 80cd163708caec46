package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    private static final float[] X = {-6f, -3.5f, -1.25f, -0.5f, -0.01f, 0f, 0.02f, 0.7f, 1.5f, 2.75f, 5f};

    @ParameterizedTest
    @ValueSource(strings = {"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "tanh"})
    void eachNameComputesTransformersFormula(String name) {
        DoubleUnaryOperator expected = switch (name) {
            case "gelu" -> x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case "relu" -> x -> Math.max(0, x);
            case "tanh" -> Math::tanh;
            default -> x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] actual = Activations.byName(name).apply(manager.create(X)).toFloatArray();
            for (int i = 0; i < X.length; i++) {
                assertEquals(expected.applyAsDouble(X[i]), actual[i], 2e-6, name + " at " + X[i]);
            }
        }
    }

    @Test
    void exactAndTanhGeluDiffer() {
        // the two GELUs must not be confused: they differ by about 4e-4 at x = -3
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {-3f, 3f});
            float[] exact = Activations.byName("gelu").apply(x).toFloatArray();
            float[] tanh = Activations.byName("gelu_new").apply(x).toFloatArray();
            assertTrue(Math.abs(exact[0] - tanh[0]) > 1e-4, "exact " + exact[0] + " tanh " + tanh[0]);
        }
    }

    @Test
    void unknownNameIsRefusedWithTheName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activations.byName("swish2"));
        assertTrue(e.getMessage().contains("'swish2'"), e.getMessage());
    }

    /** erf with fractional error below 1.2e-7 (Chebyshev fit of erfc, Numerical Recipes). */
    private static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc : erfc - 1;
    }
}

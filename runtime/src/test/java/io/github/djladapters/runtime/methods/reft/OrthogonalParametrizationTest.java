package io.github.djladapters.runtime.methods.reft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's orthogonal parametrization as the Adapters library saves a LoReFT projection. Library-made
 * files are checked end to end in the models module ({@code LibraryMadeAdaptersTest}).
 */
class OrthogonalParametrizationTest {

    /**
     * {@code torch.nn.utils.parametrizations._Orthogonal(X, householder, use_trivialization=False)(X)}
     * with torch 2.13 for {@code X = [[1.5, 0.2, -0.3], [0.4, -1.2, 0.7]]}: the integer part of
     * {@code X^T}'s diagonal (1, -1) signs the columns.
     */
    private static final float[] TORCH_WEIGHT = {-0.76991153f, -0.3539823f, 0.53097349f, 0.37773952f, 0.41782972f,
        0.82627541f};

    @Test
    void householderMapMatchesPyTorch() {
        float[] original = {1.5f, 0.2f, -0.3f, 0.4f, -1.2f, 0.7f};
        assertArrayEquals(TORCH_WEIGHT, OrthogonalParametrization.weight(original, null, 2, 3), 1e-6f);
    }

    @Test
    void assigningAWeightStoresMinusIdentityAndACompletionThatGiveItBack() {
        Random random = new Random(3);
        int r = 3;
        int hidden = 8;
        float[] rows = new float[r * hidden];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < r; i++) { // Gram-Schmidt, as the forward orthonormalises R
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < hidden; j++) {
                    dot += rows[i * hidden + j] * rows[k * hidden + j];
                }
                for (int j = 0; j < hidden; j++) {
                    rows[i * hidden + j] -= (float) (dot * rows[k * hidden + j]);
                }
            }
            double norm = 0;
            for (int j = 0; j < hidden; j++) {
                norm += rows[i * hidden + j] * rows[i * hidden + j];
            }
            for (int j = 0; j < hidden; j++) {
                rows[i * hidden + j] /= (float) Math.sqrt(norm);
            }
        }
        float[] base = OrthogonalParametrization.base(rows, r, hidden);
        for (int a = 0; a < hidden; a++) {
            for (int b = 0; b < hidden; b++) {
                double dot = 0;
                for (int j = 0; j < hidden; j++) {
                    dot += base[j * hidden + a] * base[j * hidden + b];
                }
                assertEquals(a == b ? 1 : 0, dot, 1e-5, "base columns " + a + ", " + b);
            }
        }
        float[] back = OrthogonalParametrization.weight(OrthogonalParametrization.original(r, hidden), base, r, hidden);
        assertArrayEquals(rows, back, 1e-6f);
    }

    @Test
    void aSquareProjectionIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OrthogonalParametrization.weight(new float[16], null, 4, 4));
        assertTrue(e.getMessage().contains("matrix_exp"), e.getMessage());
    }
}

package io.github.djladapters.runtime.methods.reft;

/**
 * PyTorch's {@code torch.nn.utils.parametrizations.orthogonal} as the Adapters library saves a LoReFT
 * projection {@code R [r, hidden]}: the state dict holds {@code parametrizations.weight.original}
 * {@code X [r, hidden]} and, with the default trivialisation, the buffer
 * {@code parametrizations.weight.0.base} {@code B [hidden, hidden]}; the weight is
 * {@code (B Q)^T} with {@code Q [hidden, r]} the Householder product of {@code X^T}'s strictly lower
 * part (PyTorch's map for a non-square matrix), its columns signed by the integer part of
 * {@code X^T}'s diagonal. Assigning a weight stores {@code X = -I} (so {@code Q} is the first
 * {@code r} columns of the identity) and a square orthogonal completion of {@code R^T} as {@code B}.
 */
final class OrthogonalParametrization {

    private OrthogonalParametrization() {}

    /**
     * The weight PyTorch computes from the saved tensors.
     *
     * @param original {@code X}, {@code [r, hidden]} row-major
     * @param base {@code B}, {@code [hidden, hidden]} row-major, or null when not saved (no trivialisation)
     * @param r rows of the weight
     * @param hidden columns of the weight
     * @return the weight {@code [r, hidden]} row-major
     */
    static float[] weight(float[] original, float[] base, int r, int hidden) {
        if (r >= hidden) {
            throw new IllegalArgumentException("an orthogonal projection with r = " + r + " >= hidden size " + hidden
                    + " uses PyTorch's matrix_exp map, which is not supported; expected r < " + hidden);
        }
        int n = hidden;
        int k = r;
        // X^T [n, k]: element (j, i) = original[i * n + j]
        double[][] q = new double[n][k];
        for (int i = 0; i < k; i++) {
            q[i][i] = 1;
        }
        // Q = H_0 H_1 ... H_{k-1} I[:, :k], applied from the last reflection on
        for (int i = k - 1; i >= 0; i--) {
            double[] v = new double[n];
            v[i] = 1;
            double norm = 1;
            for (int j = i + 1; j < n; j++) {
                v[j] = original[i * n + j];
                norm += v[j] * v[j];
            }
            double tau = 2 / norm;
            for (int c = 0; c < k; c++) {
                double dot = 0;
                for (int j = i; j < n; j++) {
                    dot += v[j] * q[j][c];
                }
                for (int j = i; j < n; j++) {
                    q[j][c] -= tau * v[j] * dot;
                }
            }
        }
        for (int c = 0; c < k; c++) {
            int sign = (int) original[c * n + c]; // PyTorch's X.diagonal().int(): truncated toward zero
            for (int j = 0; j < n; j++) {
                q[j][c] *= sign;
            }
        }
        float[] weight = new float[k * n];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < n; j++) {
                double value = q[j][c];
                if (base != null) {
                    value = 0;
                    for (int m = 0; m < n; m++) {
                        value += base[j * n + m] * q[m][c];
                    }
                }
                weight[c * n + j] = (float) value;
            }
        }
        return weight;
    }

    /**
     * The {@code original} PyTorch stores when a weight is assigned: {@code -I [r, hidden]}.
     *
     * @param r rows
     * @param hidden columns
     * @return row-major values
     */
    static float[] original(int r, int hidden) {
        float[] x = new float[r * hidden];
        for (int i = 0; i < r; i++) {
            x[i * hidden + i] = -1;
        }
        return x;
    }

    /**
     * A square orthogonal {@code B [hidden, hidden]} whose first {@code r} columns are {@code R}'s rows
     * (orthonormal), completed with the standard basis by Gram-Schmidt.
     *
     * @param weight {@code R [r, hidden]} row-major, rows orthonormal
     * @param r rows
     * @param hidden columns
     * @return row-major values of B
     */
    static float[] base(float[] weight, int r, int hidden) {
        double[][] columns = new double[hidden][];
        int filled = 0;
        for (int i = 0; i < r; i++) {
            double[] row = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                row[j] = weight[i * hidden + j];
            }
            columns[filled++] = row;
        }
        for (int e = 0; e < hidden && filled < hidden; e++) {
            double[] v = new double[hidden];
            v[e] = 1;
            for (int pass = 0; pass < 2; pass++) {
                for (int c = 0; c < filled; c++) {
                    double dot = 0;
                    for (int j = 0; j < hidden; j++) {
                        dot += v[j] * columns[c][j];
                    }
                    for (int j = 0; j < hidden; j++) {
                        v[j] -= dot * columns[c][j];
                    }
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            if (norm > 1e-3) {
                for (int j = 0; j < hidden; j++) {
                    v[j] /= norm;
                }
                columns[filled++] = v;
            }
        }
        float[] b = new float[hidden * hidden];
        for (int j = 0; j < hidden; j++) {
            for (int c = 0; c < hidden; c++) {
                b[j * hidden + c] = (float) columns[c][j];
            }
        }
        return b;
    }
}

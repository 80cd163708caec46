package io.github.djladapters.runtime.merging;

import java.util.Arrays;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Factors an update {@code [out, in]} into LoRA's {@code B [out, r]} and {@code A [r, in]} by a
 * truncated singular value decomposition, as PEFT's {@code _svd_generalized_task_arithmetic_weighted_adapter}
 * does: {@code B = U_r diag(S_r)}, {@code A = Vh_r}, optionally clamped to the {@code clamp} quantile of
 * their values. {@code B A} is then the best rank-r approximation of the update (Eckart-Young). A rank
 * above {@code min(out, in)} is padded with zeros. The decomposition runs in double precision.
 *
 * @param b the up factor, {@code [out, r]}
 * @param a the down factor, {@code [r, in]}
 */
record LowRankFactors(Matrix b, Matrix a) {

    static LowRankFactors of(Matrix update, int rank, Double clamp) {
        double[][] data = new double[update.rows()][update.cols()];
        for (int i = 0; i < update.rows(); i++) {
            for (int j = 0; j < update.cols(); j++) {
                data[i][j] = update.get(i, j);
            }
        }
        SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(data, false));
        RealMatrix u = svd.getU();
        RealMatrix v = svd.getV();
        double[] s = svd.getSingularValues();
        int kept = Math.min(rank, s.length);
        float[] b = new float[update.rows() * kept];
        for (int i = 0; i < update.rows(); i++) {
            for (int k = 0; k < kept; k++) {
                b[i * kept + k] = (float) (u.getEntry(i, k) * s[k]);
            }
        }
        float[] a = new float[kept * update.cols()];
        for (int k = 0; k < kept; k++) {
            for (int j = 0; j < update.cols(); j++) {
                a[k * update.cols() + j] = (float) v.getEntry(j, k);
            }
        }
        if (clamp != null) {
            float[] all = new float[a.length + b.length];
            System.arraycopy(b, 0, all, 0, b.length);
            System.arraycopy(a, 0, all, b.length, a.length);
            float high = quantile(all, clamp);
            clampInPlace(b, -high, high);
            clampInPlace(a, -high, high);
        }
        return new LowRankFactors(new Matrix(update.rows(), kept, b).leftColumns(rank),
                new Matrix(kept, update.cols(), a).topRows(rank));
    }

    /** {@code torch.quantile} with its default linear interpolation. */
    static float quantile(float[] values, double q) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int low = (int) Math.floor(position);
        int high = Math.min(low + 1, sorted.length - 1);
        double fraction = position - low;
        return (float) (sorted[low] + (sorted[high] - sorted[low]) * fraction);
    }

    private static void clampInPlace(float[] values, float low, float high) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.max(low, Math.min(high, values[i]));
        }
    }
}

package io.github.djladapters.runtime.merging;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Factors an update {@code [out, in]} into LoRA's {@code B [out, r]} and {@code A [r, in]} by a
 * truncated singular value decomposition, as PEFT's {@code _svd_generalized_task_arithmetic_weighted_adapter}
 * does: {@code B = U_r diag(S_r)}, {@code A = Vh_r}, optionally clamped to the {@code clamp} quantile of
 * their values. {@code B A} is then the best rank-r approximation of the update (Eckart-Young). A rank
 * above {@code min(out, in)} is padded with zeros. The decomposition runs in double precision (EJML).
 *
 * @param b the up factor, {@code [out, r]}
 * @param a the down factor, {@code [r, in]}
 */
record LowRankFactors(Matrix b, Matrix a) {

    /** Factors a full update matrix. */
    static LowRankFactors of(Matrix update, int rank, Double clamp) {
        DMatrixRMaj m = toDouble(update);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m.numRows, m.numCols, true,
                true, true);
        if (!svd.decompose(m)) {
            throw new IllegalStateException("the singular value decomposition of a " + m.numRows + "x" + m.numCols
                    + " update did not converge");
        }
        return truncate(svd.getU(null, false), svd.getSingularValues(), svd.getV(null, false), svd.numberOfSingularValues(),
                update.rows(), update.cols(), rank, clamp);
    }

    /**
     * Factors the update {@code up @ down} ({@code [out, R] x [R, in]}) without forming it: with thin
     * QR factorisations {@code up = Q1 R1} and {@code down^T = Q2 R2}, the update is
     * {@code Q1 (R1 R2^T) Q2^T}, so the SVD of the small {@code R x R} core gives the update's. Exact up
     * to rounding, and {@code O((out + in) R^2)} instead of {@code O(out in min(out, in))}.
     */
    static LowRankFactors ofProduct(Matrix up, Matrix down, int rank, Double clamp) {
        int inner = up.cols();
        if (inner >= Math.min(up.rows(), down.cols())) {
            return of(up.times(down), rank, clamp);
        }
        DMatrixRMaj[] first = thinQr(toDouble(up));
        DMatrixRMaj downT = new DMatrixRMaj(down.cols(), inner);
        CommonOps_DDRM.transpose(toDouble(down), downT);
        DMatrixRMaj[] second = thinQr(downT);
        DMatrixRMaj core = new DMatrixRMaj(inner, inner);
        CommonOps_DDRM.multTransB(first[1], second[1], core);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(inner, inner, true, true, true);
        if (!svd.decompose(core)) {
            throw new IllegalStateException("the singular value decomposition of a " + inner + "x" + inner
                    + " core did not converge");
        }
        DMatrixRMaj u = new DMatrixRMaj(up.rows(), inner);
        CommonOps_DDRM.mult(first[0], svd.getU(null, false), u);
        DMatrixRMaj v = new DMatrixRMaj(down.cols(), inner);
        CommonOps_DDRM.mult(second[0], svd.getV(null, false), v);
        return truncate(u, svd.getSingularValues(), v, svd.numberOfSingularValues(), up.rows(), down.cols(), rank,
                clamp);
    }

    /** {@code [Q, R]} of a tall matrix, Q with orthonormal columns. */
    private static DMatrixRMaj[] thinQr(DMatrixRMaj m) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        if (!qr.decompose(m.copy())) {
            throw new IllegalStateException("the QR decomposition of a " + m.numRows + "x" + m.numCols + " factor failed");
        }
        return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
    }

    /** Keeps the {@code rank} largest singular triplets (in descending order, as PyTorch returns them). */
    private static LowRankFactors truncate(DMatrixRMaj u, double[] s, DMatrixRMaj v, int count, int rows, int cols,
            int rank, Double clamp) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        int kept = Math.min(rank, count);
        float[] b = new float[rows * kept];
        float[] a = new float[kept * cols];
        for (int k = 0; k < kept; k++) {
            int index = order[k];
            for (int i = 0; i < rows; i++) {
                b[i * kept + k] = (float) (u.get(i, index) * s[index]);
            }
            for (int j = 0; j < cols; j++) {
                a[k * cols + j] = (float) v.get(j, index);
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
        return new LowRankFactors(new Matrix(rows, kept, b).leftColumns(rank), new Matrix(kept, cols, a).topRows(rank));
    }

    private static DMatrixRMaj toDouble(Matrix matrix) {
        DMatrixRMaj m = new DMatrixRMaj(matrix.rows(), matrix.cols());
        float[] values = matrix.values();
        for (int i = 0; i < values.length; i++) {
            m.data[i] = values[i];
        }
        return m;
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

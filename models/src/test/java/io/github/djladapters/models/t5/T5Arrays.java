package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Small conversions between the models' arrays and the reference's plain float arrays. */
final class T5Arrays {

    private T5Arrays() {}

    /** One row of token ids, {@code [1, T]} int64. */
    static NDArray ids(NDManager manager, int[] ids) {
        long[] values = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            values[i] = ids[i];
        }
        return manager.create(values, new Shape(1, ids.length));
    }

    /** Rows of different lengths, right-padded with 0: {@code (ids, mask)}, each {@code [B, longest]}. */
    static NDArray[] padded(NDManager manager, int[]... rows) {
        int longest = 0;
        for (int[] row : rows) {
            longest = Math.max(longest, row.length);
        }
        long[] ids = new long[rows.length * longest];
        long[] mask = new long[rows.length * longest];
        for (int b = 0; b < rows.length; b++) {
            for (int t = 0; t < rows[b].length; t++) {
                ids[b * longest + t] = rows[b][t];
                mask[b * longest + t] = 1;
            }
        }
        Shape shape = new Shape(rows.length, longest);
        return new NDArray[] {manager.create(ids, shape), manager.create(mask, shape)};
    }

    /** The largest absolute difference between row {@code batchRow} of {@code [B, T, D]} (its first {@code expected.length} positions) and {@code expected}. */
    static double maxDiff(NDArray actual, int batchRow, float[][] expected) {
        Shape s = actual.getShape();
        int t = (int) s.get(1);
        int d = (int) s.get(2);
        float[] values = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < d; j++) {
                worst = Math.max(worst, Math.abs(values[(batchRow * t + i) * d + j] - expected[i][j]));
            }
        }
        return worst;
    }

    /** The largest absolute difference between two equally shaped plain arrays. */
    static double maxDiff(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return worst;
    }
}

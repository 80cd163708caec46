package io.github.djladapters.runtime.merging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A row-major float matrix read from an adapter tensor: merging works on small factors and updates
 * away from the engine, then writes the result back as one tensor.
 *
 * @param rows the row count
 * @param cols the column count
 * @param values {@code rows * cols} values, row by row
 */
record Matrix(int rows, int cols, float[] values) {

    static Matrix of(NDArray array) {
        Shape shape = array.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("expected a matrix, got shape " + shape);
        }
        return new Matrix(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), array.toFloatArray());
    }

    static Matrix zeros(int rows, int cols) {
        return new Matrix(rows, cols, new float[rows * cols]);
    }

    NDArray toArray(NDManager manager) {
        return manager.create(values, new Shape(rows, cols));
    }

    float get(int row, int col) {
        return values[row * cols + col];
    }

    Matrix scaled(float factor) {
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] * factor;
        }
        return new Matrix(rows, cols, out);
    }

    /** {@code this @ other}, accumulated in double and rounded once. */
    Matrix times(Matrix other) {
        if (cols != other.rows) {
            throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by " + other.rows + "x"
                    + other.cols);
        }
        float[] out = new float[rows * other.cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < other.cols; j++) {
                double sum = 0;
                for (int k = 0; k < cols; k++) {
                    sum += (double) values[i * cols + k] * other.values[k * other.cols + j];
                }
                out[i * other.cols + j] = (float) sum;
            }
        }
        return new Matrix(rows, other.cols, out);
    }

    /** The first {@code count} rows, padded with zero rows when there are fewer. */
    Matrix topRows(int count) {
        float[] out = new float[count * cols];
        System.arraycopy(values, 0, out, 0, Math.min(count, rows) * cols);
        return new Matrix(count, cols, out);
    }

    /** The first {@code count} columns, padded with zero columns when there are fewer. */
    Matrix leftColumns(int count) {
        float[] out = new float[rows * count];
        int kept = Math.min(count, cols);
        for (int i = 0; i < rows; i++) {
            System.arraycopy(values, i * cols, out, i * count, kept);
        }
        return new Matrix(rows, count, out);
    }

    /** Rows of {@code parts} one under another, padded with zero rows to {@code total}. */
    static Matrix stackRows(java.util.List<Matrix> parts, int total) {
        int cols = parts.get(0).cols;
        float[] out = new float[total * cols];
        int at = 0;
        for (Matrix part : parts) {
            System.arraycopy(part.values, 0, out, at, part.values.length);
            at += part.values.length;
        }
        return new Matrix(total, cols, out);
    }

    /** Columns of {@code parts} side by side, padded with zero columns to {@code total}. */
    static Matrix stackColumns(java.util.List<Matrix> parts, int total) {
        int rows = parts.get(0).rows;
        float[] out = new float[rows * total];
        int at = 0;
        for (Matrix part : parts) {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(part.values, i * part.cols, out, i * total + at, part.cols);
            }
            at += part.cols;
        }
        return new Matrix(rows, total, out);
    }
}

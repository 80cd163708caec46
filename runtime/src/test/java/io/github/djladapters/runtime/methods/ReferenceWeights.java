package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Map;

/**
 * Plain-Java adapter math for tests, written from the papers' formulas and independent of the
 * DJL layers: merged LoRA, DoRA and IA3 weights in row-major {@code [out, in]} floats, to feed
 * {@link io.github.djladapters.runtime.testmodel.TinyReference}.
 */
public final class ReferenceWeights {

    /** Token ids used by the tests: batch 3, sequence 4. */
    public static final long[][] IDS = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}};

    private ReferenceWeights() {}

    /**
     * A tiny model bound through its runtime interface.
     *
     * @param manager owns the parameters
     * @param fused whether attention uses one qkv projection
     * @return the adapter model
     */
    public static AdapterModel<TinyModel> tiny(NDManager manager, boolean fused) {
        TinyModel model = new TinyModel(manager, fused);
        return Adapters.init(model, (fused ? TinyInterfaces.fused() : TinyInterfaces.separate()).build());
    }

    /**
     * Runs a model on {@link #IDS}.
     *
     * @param model the model
     * @param manager owns the input
     * @return the output as floats
     */
    public static float[] run(AdapterModel<?> model, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return model.forward(new NDList(scope.create(IDS))).head().toFloatArray();
        }
    }

    /**
     * {@code W + s B A}, with B's rows outside {@code rowMask} zeroed.
     *
     * @param w {@code [out, in]}
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     * @param scaling s
     * @param rowMask null, or which output rows change
     * @return the merged weight
     */
    public static float[] lora(float[] w, float[] a, float[] b, double scaling, boolean[] rowMask) {
        double[] d = product(a, b, w.length);
        float[] merged = new float[w.length];
        int in = in(w, a, b);
        int out = w.length / in;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                boolean on = rowMask == null || rowMask[o];
                merged[o * in + i] = (float) (w[o * in + i] + (on ? scaling * d[o * in + i] : 0));
            }
        }
        return merged;
    }

    /**
     * DoRA's merged weight: {@code m / |W + s B A|_row * (W + s B A)}.
     *
     * @param w {@code [out, in]}
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     * @param scaling s
     * @param magnitude m, {@code [out]}
     * @return the merged weight
     */
    public static float[] dora(float[] w, float[] a, float[] b, double scaling, float[] magnitude) {
        float[] combined = lora(w, a, b, scaling, null);
        int out = magnitude.length;
        int in = w.length / out;
        float[] merged = new float[w.length];
        for (int o = 0; o < out; o++) {
            double norm = 0;
            for (int i = 0; i < in; i++) {
                norm += (double) combined[o * in + i] * combined[o * in + i];
            }
            double factor = magnitude[o] / Math.sqrt(norm);
            for (int i = 0; i < in; i++) {
                merged[o * in + i] = (float) (factor * combined[o * in + i]);
            }
        }
        return merged;
    }

    /**
     * Row norms of {@code W + s B A}, DoRA's initial magnitude.
     *
     * @param w {@code [out, in]}
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     * @param scaling s
     * @return {@code [out]}
     */
    public static float[] rowNorms(float[] w, float[] a, float[] b, double scaling) {
        float[] combined = lora(w, a, b, scaling, null);
        int in = in(w, a, b);
        float[] norms = new float[w.length / in];
        for (int o = 0; o < norms.length; o++) {
            double sum = 0;
            for (int i = 0; i < in; i++) {
                sum += (double) combined[o * in + i] * combined[o * in + i];
            }
            norms[o] = (float) Math.sqrt(sum);
        }
        return norms;
    }

    /**
     * Scales row {@code o} of {@code [out, in]} by {@code l[o]} (IA3 on an output).
     *
     * @param w the weight
     * @param l {@code [out]}
     * @return the scaled weight
     */
    public static float[] scaleRows(float[] w, float[] l) {
        int in = w.length / l.length;
        float[] scaled = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            scaled[i] = w[i] * l[i / in];
        }
        return scaled;
    }

    /**
     * Scales column {@code i} of {@code [out, in]} by {@code l[i]} (IA3 on an input).
     *
     * @param w the weight
     * @param l {@code [in]}
     * @return the scaled weight
     */
    public static float[] scaleColumns(float[] w, float[] l) {
        float[] scaled = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            scaled[i] = w[i] * l[i % l.length];
        }
        return scaled;
    }

    /**
     * Elementwise product.
     *
     * @param x values
     * @param l factors, same length
     * @return {@code x * l}
     */
    public static float[] times(float[] x, float[] l) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * l[i];
        }
        return y;
    }

    /**
     * Largest absolute difference.
     *
     * @param x values
     * @param y values, same length
     * @return max |x - y|
     */
    public static double maxDiff(float[] x, float[] y) {
        if (x.length != y.length) {
            throw new AssertionError("lengths differ: " + x.length + " vs " + y.length);
        }
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    /**
     * An adapter's PEFT tensors as floats.
     *
     * @param model the model
     * @param name the adapter
     * @param manager owns the copies
     * @return key to values
     */
    public static Map<String, float[]> tensors(AdapterModel<?> model, String name, NDManager manager) {
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : model.adapterTensors(name, scope).entrySet()) {
                values.put(e.getKey(), e.getValue().toFloatArray());
            }
        }
        return values;
    }

    private static int in(float[] w, float[] a, float[] b) {
        // w is [out, in], a is [r, in], b is [out, r]: in = sqrt(|w| |a| / |b|)
        return (int) Math.round(Math.sqrt((double) w.length * a.length / b.length));
    }

    /** {@code B A} in doubles, {@code [out, in]}. */
    private static double[] product(float[] a, float[] b, int size) {
        int in = (int) Math.round(Math.sqrt((double) size * a.length / b.length));
        int r = a.length / in;
        int out = b.length / r;
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < r; k++) {
                    sum += (double) b[o * r + k] * a[k * in + i];
                }
                d[o * in + i] = sum;
            }
        }
        return d;
    }
}

package io.github.djladapters.runtime.testmodel;

import static io.github.djladapters.runtime.testmodel.TinyModel.FFN;
import static io.github.djladapters.runtime.testmodel.TinyModel.HEADS;
import static io.github.djladapters.runtime.testmodel.TinyModel.HIDDEN;
import static io.github.djladapters.runtime.testmodel.TinyModel.LAYERS;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.bindings.ModulePaths;
import java.util.HashMap;
import java.util.Map;

/**
 * The forward pass of {@link TinyModel} in plain Java doubles, from weights given by Hugging Face
 * parameter name ({@code layers.1.self_attn.q_proj.weight}): an independent check of the DJL blocks.
 */
public final class TinyReference {

    private final Map<String, float[]> weights;

    /**
     * A reference over the given weights.
     *
     * @param weights Hugging Face parameter name to row-major values
     */
    public TinyReference(Map<String, float[]> weights) {
        this.weights = weights;
    }

    /**
     * Copies every parameter of a model by Hugging Face name.
     *
     * @param model the model
     * @return parameter name to values; a mutable copy
     */
    public static Map<String, float[]> weightsOf(Block model) {
        Map<String, float[]> weights = new HashMap<>();
        for (Map.Entry<String, Block> module : ModulePaths.all(model).entrySet()) {
            for (Pair<String, Parameter> p : module.getValue().getDirectParameters()) {
                String prefix = module.getKey().isEmpty() ? "" : module.getKey() + ".";
                weights.put(prefix + p.getKey(), p.getValue().getArray().toFloatArray());
            }
        }
        return weights;
    }

    /**
     * Runs the reference model.
     *
     * @param ids token ids, {@code [batch][seq]}
     * @return the last hidden state, flattened like {@code [batch, seq, hidden]}
     */
    public float[] run(long[][] ids) {
        int seq = ids[0].length;
        float[] out = new float[ids.length * seq * HIDDEN];
        for (int b = 0; b < ids.length; b++) {
            double[][] x = new double[seq][];
            for (int t = 0; t < seq; t++) {
                x[t] = row(weights.get("embed_tokens.weight"), (int) ids[b][t], HIDDEN);
            }
            for (int l = 0; l < LAYERS; l++) {
                String p = "layers." + l + ".";
                x = add(x, attention(norm(x, p + "input_layernorm"), p + "self_attn."));
                double[][] up = linear(norm(x, p + "post_attention_layernorm"), p + "mlp.up_proj", FFN);
                for (double[] r : up) {
                    for (int i = 0; i < r.length; i++) {
                        r[i] = Math.max(0, r[i]);
                    }
                }
                x = add(x, linear(up, p + "mlp.down_proj", HIDDEN));
            }
            for (int t = 0; t < seq; t++) {
                for (int i = 0; i < HIDDEN; i++) {
                    out[(b * seq + t) * HIDDEN + i] = (float) x[t][i];
                }
            }
        }
        return out;
    }

    private double[][] attention(double[][] x, String p) {
        int seq = x.length;
        double[][] q;
        double[][] k;
        double[][] v;
        if (weights.containsKey(p + "qkv_proj.weight")) {
            double[][] qkv = linear(x, p + "qkv_proj", 3 * HIDDEN);
            q = columns(qkv, 0);
            k = columns(qkv, HIDDEN);
            v = columns(qkv, 2 * HIDDEN);
        } else {
            q = linear(x, p + "q_proj", HIDDEN);
            k = linear(x, p + "k_proj", HIDDEN);
            v = linear(x, p + "v_proj", HIDDEN);
        }
        int hd = HIDDEN / HEADS;
        double[][] context = new double[seq][HIDDEN];
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < seq; i++) {
                double[] scores = new double[seq];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < seq; j++) {
                    for (int d = 0; d < hd; d++) {
                        scores[j] += q[i][h * hd + d] * k[j][h * hd + d];
                    }
                    scores[j] /= Math.sqrt(hd);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < seq; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < seq; j++) {
                    for (int d = 0; d < hd; d++) {
                        context[i][h * hd + d] += scores[j] / sum * v[j][h * hd + d];
                    }
                }
            }
        }
        return linear(context, p + "o_proj", HIDDEN);
    }

    private double[][] norm(double[][] x, String name) {
        float[] g = weights.get(name + ".weight");
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double value : x[t]) {
                ms += value * value;
            }
            double scale = Math.sqrt(ms / x[t].length + RmsNorm.EPS);
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = x[t][i] / scale * g[i];
            }
        }
        return y;
    }

    /** {@code x W^T + b}, with DJL's {@code [out, in]} weight layout. */
    private double[][] linear(double[][] x, String name, int out) {
        float[] w = weights.get(name + ".weight");
        float[] bias = weights.get(name + ".bias");
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                for (int i = 0; i < in; i++) {
                    sum += x[t][i] * w[o * in + i];
                }
                y[t][o] = sum;
            }
        }
        return y;
    }

    private static double[][] columns(double[][] x, int from) {
        double[][] y = new double[x.length][HIDDEN];
        for (int t = 0; t < x.length; t++) {
            System.arraycopy(x[t], from, y[t], 0, HIDDEN);
        }
        return y;
    }

    private static double[] row(float[] table, int index, int width) {
        double[] r = new double[width];
        for (int i = 0; i < width; i++) {
            r[i] = table[index * width + i];
        }
        return r;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                y[t][i] = a[t][i] + b[t][i];
            }
        }
        return y;
    }
}

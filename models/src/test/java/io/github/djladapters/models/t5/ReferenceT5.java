package io.github.djladapters.models.t5;

import java.util.Map;

/**
 * An independent T5 forward pass in plain Java loops, one sequence at a time, straight from the
 * Hugging Face tensors. Relative position buckets are found by comparing the distance with the
 * bucket thresholds {@code maxExact * (maxDistance / maxExact)^(k / (buckets - maxExact))} rather
 * than by taking a logarithm; variants without the bias, or with the distance taken the wrong way
 * round, show that tests built on it would catch those mistakes.
 */
final class ReferenceT5 {

    /** How relative positions enter the attention scores. */
    enum Positions { T5, NONE, MIRRORED }

    private final T5Config c;
    private final Map<String, float[]> w;
    private final Positions positions;

    ReferenceT5(T5Config config, Map<String, float[]> weights, Positions positions) {
        this.c = config;
        this.w = weights;
        this.positions = positions;
    }

    /** The encoder output {@code [S][d_model]} of one unpadded sequence. */
    float[][] encode(int[] ids) {
        float[][] x = embed(ids);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "encoder.block." + l + ".layer.";
            float[][] normed = rms(x, p + "0.layer_norm.weight");
            add(x, attention(normed, normed, "encoder.block.0.layer.0.SelfAttention.", p + "0.SelfAttention.", true,
                    false));
            add(x, feedForward(rms(x, p + "1.layer_norm.weight"), p + "1.DenseReluDense."));
        }
        return rms(x, "encoder.final_layer_norm.weight");
    }

    /** Logits {@code [T][vocab]} of a whole decoder sequence attending to {@code encoded}. */
    float[][] logits(int[] decoderIds, float[][] encoded) {
        float[][] x = embed(decoderIds);
        for (int l = 0; l < c.numDecoderLayers(); l++) {
            String p = "decoder.block." + l + ".layer.";
            float[][] normed = rms(x, p + "0.layer_norm.weight");
            add(x, attention(normed, normed, "decoder.block.0.layer.0.SelfAttention.", p + "0.SelfAttention.", false,
                    true));
            add(x, attention(rms(x, p + "1.layer_norm.weight"), encoded, null, p + "1.EncDecAttention.", false, false));
            add(x, feedForward(rms(x, p + "2.layer_norm.weight"), p + "2.DenseReluDense."));
        }
        float[][] last = rms(x, "decoder.final_layer_norm.weight");
        String head = c.tieWordEmbeddings() ? "shared" : "lm_head";
        float[][] out = new float[last.length][];
        for (int i = 0; i < last.length; i++) {
            if (c.tieWordEmbeddings()) {
                for (int j = 0; j < last[i].length; j++) {
                    last[i][j] = (float) (last[i][j] / Math.sqrt(c.dModel()));
                }
            }
            out[i] = linear(last[i], head);
        }
        return out;
    }

    /** The bucket of {@code key - query} by thresholds, in double precision. */
    int bucket(int relative, boolean bidirectional) {
        int n = c.relativeAttentionNumBuckets();
        int offset = 0;
        int distance;
        if (bidirectional) {
            n /= 2;
            offset = relative > 0 ? n : 0;
            distance = Math.abs(relative);
        } else {
            distance = relative < 0 ? -relative : 0;
        }
        int maxExact = n / 2;
        if (distance < maxExact) {
            return offset + distance;
        }
        double growth = (double) c.relativeAttentionMaxDistance() / maxExact;
        int k = 0;
        while (k < n - maxExact - 1 && maxExact * Math.pow(growth, (k + 1.0) / (n - maxExact)) <= distance) {
            k++;
        }
        return offset + maxExact + k;
    }

    private double positionBias(String biasModule, int head, int query, int key, boolean bidirectional) {
        if (biasModule == null || positions == Positions.NONE) {
            return 0;
        }
        int relative = positions == Positions.T5 ? key - query : query - key;
        return w.get(biasModule + "relative_attention_bias.weight")[bucket(relative, bidirectional) * c.numHeads() + head];
    }

    private float[][] attention(float[][] x, float[][] source, String biasModule, String p, boolean bidirectional,
            boolean causal) {
        int heads = c.numHeads();
        int d = c.dKv();
        float[][] q = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            q[i] = linear(x[i], p + "q");
        }
        float[][] k = new float[source.length][];
        float[][] v = new float[source.length][];
        for (int j = 0; j < source.length; j++) {
            k[j] = linear(source[j], p + "k");
            v[j] = linear(source[j], p + "v");
        }
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            float[] context = new float[heads * d];
            int visible = causal ? i + 1 : source.length;
            for (int h = 0; h < heads; h++) {
                double[] scores = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double s = positionBias(biasModule, h, i, j, bidirectional);
                    for (int e = 0; e < d; e++) {
                        s += (double) q[i][h * d + e] * k[j][h * d + e];
                    }
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < visible; j++) {
                    for (int e = 0; e < d; e++) {
                        context[h * d + e] += (float) (scores[j] / sum * v[j][h * d + e]);
                    }
                }
            }
            out[i] = linear(context, p + "o");
        }
        return out;
    }

    private float[][] feedForward(float[][] x, String p) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            float[] hidden;
            if (c.gatedFeedForward()) {
                float[] gate = linear(x[i], p + "wi_0");
                hidden = linear(x[i], p + "wi_1");
                for (int j = 0; j < hidden.length; j++) {
                    double g = gate[j];
                    double gelu = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
                    hidden[j] = (float) (gelu * hidden[j]);
                }
            } else {
                hidden = linear(x[i], p + "wi");
                for (int j = 0; j < hidden.length; j++) {
                    hidden[j] = Math.max(0f, hidden[j]);
                }
            }
            out[i] = linear(hidden, p + "wo");
        }
        return out;
    }

    private float[][] embed(int[] ids) {
        int d = c.dModel();
        float[][] x = new float[ids.length][d];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(w.get("shared.weight"), ids[i] * d, x[i], 0, d);
        }
        return x;
    }

    private float[][] rms(float[][] x, String weight) {
        float[] g = w.get(weight);
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (float f : x[i]) {
                ms += (double) f * f;
            }
            double scale = 1 / Math.sqrt(ms / x[i].length + c.layerNormEpsilon());
            out[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = (float) (x[i][j] * scale * g[j]);
            }
        }
        return out;
    }

    private float[] linear(float[] x, String module) {
        float[] weight = w.get(module + ".weight");
        int out = weight.length / x.length;
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += (double) weight[o * x.length + i] * x[i];
            }
            y[o] = (float) s;
        }
        return y;
    }

    private static void add(float[][] into, float[][] delta) {
        for (int i = 0; i < into.length; i++) {
            for (int j = 0; j < into[i].length; j++) {
                into[i][j] += delta[i][j];
            }
        }
    }
}

package io.github.djladapters.models.bert;

import java.util.Map;

/**
 * A plain-Java BERT/RoBERTa forward pass over float arrays, written from the Hugging Face
 * definition and sharing no code with the DJL blocks: the independent reference for tests.
 */
public final class ReferenceBert {

    private final BertConfig config;
    private final Map<String, float[]> weights;

    public ReferenceBert(BertConfig config, Map<String, float[]> weights) {
        this.config = config;
        this.weights = weights;
    }

    /** last_hidden_state [B][T][H]. */
    public float[][][] forward(long[][] ids, long[][] mask, long[][] types) {
        float[][][] out = new float[ids.length][][];
        for (int b = 0; b < ids.length; b++) {
            out[b] = sequence(ids[b], mask[b], types[b]);
        }
        return out;
    }

    private float[][] sequence(long[] ids, long[] mask, long[] types) {
        int n = ids.length;
        int h = config.hiddenSize();
        float[][] x = new float[n][h];
        int running = 0;
        for (int t = 0; t < n; t++) {
            int position = t;
            if (config.isRoberta()) {
                boolean token = ids[t] != config.padTokenId();
                running += token ? 1 : 0;
                position = token ? running + config.padTokenId() : config.padTokenId();
            }
            for (int i = 0; i < h; i++) {
                x[t][i] = w("embeddings.word_embeddings.weight")[(int) ids[t] * h + i]
                        + w("embeddings.position_embeddings.weight")[position * h + i]
                        + w("embeddings.token_type_embeddings.weight")[(int) types[t] * h + i];
            }
        }
        x = layerNorm(x, "embeddings.LayerNorm");
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            float[][] context = attention(x, mask, p + "attention.self.");
            float[][] attended = layerNorm(add(linear(context, p + "attention.output.dense"), x),
                    p + "attention.output.LayerNorm");
            float[][] inner = gelu(linear(attended, p + "intermediate.dense"));
            x = layerNorm(add(linear(inner, p + "output.dense"), attended), p + "output.LayerNorm");
        }
        return x;
    }

    private float[][] attention(float[][] x, long[] mask, String prefix) {
        float[][] q = linear(x, prefix + "query");
        float[][] k = linear(x, prefix + "key");
        float[][] v = linear(x, prefix + "value");
        int n = x.length;
        int d = config.headSize();
        float[][] context = new float[n][config.hiddenSize()];
        for (int head = 0; head < config.numAttentionHeads(); head++) {
            int off = head * d;
            for (int i = 0; i < n; i++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[i][off + e] * k[j][off + e];
                    }
                    scores[j] = mask[j] == 0 ? Double.NEGATIVE_INFINITY : s / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < n; j++) {
                    for (int e = 0; e < d; e++) {
                        context[i][off + e] += (float) (scores[j] / sum * v[j][off + e]);
                    }
                }
            }
        }
        return context;
    }

    private float[][] linear(float[][] x, String name) {
        float[] weight = w(name + ".weight");
        float[] bias = w(name + ".bias");
        int out = bias.length;
        int in = x[0].length;
        float[][] y = new float[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int i = 0; i < in; i++) {
                    s += weight[o * in + i] * x[t][i];
                }
                y[t][o] = (float) s;
            }
        }
        return y;
    }

    private float[][] layerNorm(float[][] x, String name) {
        float[] gain = w(name + ".weight");
        float[] bias = w(name + ".bias");
        float[][] y = new float[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (float v : x[t]) {
                mean += v;
            }
            mean /= x[t].length;
            double var = 0;
            for (float v : x[t]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[t].length;
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (float) ((x[t][i] - mean) / Math.sqrt(var + config.layerNormEps()) * gain[i] + bias[i]);
            }
        }
        return y;
    }

    private static float[][] add(float[][] a, float[][] b) {
        float[][] y = new float[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                y[t][i] = a[t][i] + b[t][i];
            }
        }
        return y;
    }

    private static float[][] gelu(float[][] x) {
        float[][] y = new float[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (float) (0.5 * x[t][i] * (1 + erf(x[t][i] / Math.sqrt(2))));
            }
        }
        return y;
    }

    /** erf with fractional error below 1.2e-7 (Chebyshev fit of erfc, Numerical Recipes). */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc : erfc - 1;
    }

    private float[] w(String name) {
        float[] values = weights.get(name);
        if (values == null) {
            throw new IllegalArgumentException("reference needs " + name);
        }
        return values;
    }
}

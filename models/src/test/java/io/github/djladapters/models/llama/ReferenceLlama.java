package io.github.djladapters.models.llama;

import java.util.Map;

/**
 * An independent Llama forward pass in plain Java loops, one sequence at a time, straight from the
 * Hugging Face tensors; variants with a wrong head mapping or rotary layout show that the tests
 * built on it would catch those mistakes.
 */
final class ReferenceLlama {

    /** Which key/value head serves query head {@code h}. */
    enum HeadMapping { GROUPED, ROUND_ROBIN }

    /** How rotary embeddings pair features. */
    enum Rotary { ROTATE_HALF, INTERLEAVED, NONE }

    private final LlamaConfig c;
    private final Map<String, float[]> w;
    private final HeadMapping mapping;
    private final Rotary rotary;

    ReferenceLlama(LlamaConfig config, Map<String, float[]> weights, HeadMapping mapping, Rotary rotary) {
        this.c = config;
        this.w = weights;
        this.mapping = mapping;
        this.rotary = rotary;
    }

    /** Logits {@code [T][vocab]} for one sequence at positions 0..T-1. */
    float[][] logits(int[] ids) {
        int t = ids.length;
        int h = c.hiddenSize();
        float[][] x = new float[t][];
        for (int i = 0; i < t; i++) {
            x[i] = new float[h];
            System.arraycopy(w.get("model.embed_tokens.weight"), ids[i] * h, x[i], 0, h);
        }
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            float[][] attn = attention(p, rms(x, p + "input_layernorm.weight"));
            for (int i = 0; i < t; i++) {
                add(x[i], attn[i]);
            }
            float[][] normed = rms(x, p + "post_attention_layernorm.weight");
            for (int i = 0; i < t; i++) {
                float[] gate = linear(normed[i], p + "mlp.gate_proj");
                float[] up = linear(normed[i], p + "mlp.up_proj");
                for (int j = 0; j < gate.length; j++) {
                    gate[j] = (float) (gate[j] / (1 + Math.exp(-gate[j]))) * up[j];
                }
                add(x[i], linear(gate, p + "mlp.down_proj"));
            }
        }
        float[][] last = rms(x, "model.norm.weight");
        String head = c.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) {
            out[i] = linear(last[i], head);
        }
        return out;
    }

    private float[][] attention(String p, float[][] x) {
        int t = x.length;
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        float[][] q = new float[t][];
        float[][] k = new float[t][];
        float[][] v = new float[t][];
        for (int i = 0; i < t; i++) {
            q[i] = rotate(linear(x[i], p + "self_attn.q_proj"), heads, i);
            k[i] = rotate(linear(x[i], p + "self_attn.k_proj"), kvHeads, i);
            v[i] = linear(x[i], p + "self_attn.v_proj");
        }
        float[][] context = new float[t][heads * d];
        for (int hd = 0; hd < heads; hd++) {
            int kvh = mapping == HeadMapping.GROUPED ? hd / (heads / kvHeads) : hd % kvHeads;
            for (int i = 0; i < t; i++) {
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[i][hd * d + e] * k[j][kvh * d + e];
                    }
                    scores[j] = s / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int e = 0; e < d; e++) {
                        context[i][hd * d + e] += (float) (scores[j] / sum * v[j][kvh * d + e]);
                    }
                }
            }
        }
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) {
            out[i] = linear(context[i], p + "self_attn.o_proj");
        }
        return out;
    }

    /** Rotates every head of one position's projection. */
    private float[] rotate(float[] x, int heads, int position) {
        if (rotary == Rotary.NONE) {
            return x;
        }
        int d = c.headDim();
        float[] out = new float[x.length];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < d / 2; i++) {
                double angle = position / Math.pow(c.ropeTheta(), 2.0 * i / d);
                double cos = Math.cos(angle);
                double sin = Math.sin(angle);
                int a = hd * d + (rotary == Rotary.ROTATE_HALF ? i : 2 * i);
                int b = hd * d + (rotary == Rotary.ROTATE_HALF ? i + d / 2 : 2 * i + 1);
                out[a] = (float) (x[a] * cos - x[b] * sin);
                out[b] = (float) (x[b] * cos + x[a] * sin);
            }
        }
        return out;
    }

    private float[][] rms(float[][] x, String weight) {
        float[] g = w.get(weight);
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (float f : x[i]) {
                ms += f * f;
            }
            double scale = 1 / Math.sqrt(ms / x[i].length + c.rmsNormEps());
            out[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = (float) (x[i][j] * scale * g[j]);
            }
        }
        return out;
    }

    private float[] linear(float[] x, String module) {
        float[] weight = w.get(module + ".weight");
        float[] bias = w.get(module + ".bias");
        int out = weight.length / x.length;
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : bias[o];
            for (int i = 0; i < x.length; i++) {
                s += weight[o * x.length + i] * x[i];
            }
            y[o] = (float) s;
        }
        return y;
    }

    private static void add(float[] into, float[] delta) {
        for (int i = 0; i < into.length; i++) {
            into[i] += delta[i];
        }
    }
}

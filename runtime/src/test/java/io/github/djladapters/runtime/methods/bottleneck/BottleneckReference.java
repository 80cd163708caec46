package io.github.djladapters.runtime.methods.bottleneck;

import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The Adapters library's bottleneck formulas in plain Java doubles, written from its
 * {@code Adapter.pre_forward/forward/post_forward} and {@code ParallelAdapter}, and the forward of
 * {@link TinyModel} (a pre-LN model: no layer norm after the sub-blocks) with the library's
 * model-integrated bottleneck layers as in its Llama: {@code attention_adapters(h, residual, None)}
 * after attention and {@code output_adapters(h, residual, None)} after the MLP.
 */
class BottleneckReference {

    private final Map<String, float[]> weights;
    private final Map<String, float[]> adapter;
    private final BnConfig config;
    private final int width;

    /**
     * @param weights the base model's weights by Hugging Face name
     * @param adapter the adapter's tensors by the key after {@code base_model.model.}
     * @param config the adapter's config
     * @param width the bottleneck width
     */
    BottleneckReference(Map<String, float[]> weights, Map<String, float[]> adapter, BnConfig config, int width) {
        this.weights = weights;
        this.adapter = adapter;
        this.config = config;
        this.width = width;
    }

    /**
     * {@code bottleneck_layer_forward(h, x, layer_norm)} with the adapter active.
     *
     * @param prefix the adapter's location, such as {@code layers.0.output_adapters.}
     * @param h the sub-block's output
     * @param x the residual input
     * @param layerNorm the model's layer norm after the sub-block, or null
     * @return the layer's hidden states after the sub-block
     */
    double[][] bottleneck(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
        if (config.isParallel()) {
            double[][] out = add(body(prefix, x), h);
            return post(out, x, layerNorm);
        }
        double[][][] prepared = pre(h, x, layerNorm);
        return post(adapter(prefix, prepared[0], prepared[1]), x, layerNorm);
    }

    /** {@code pre_forward}: the adapter's input and the residual it adds, {@code {hidden, residual}}. */
    double[][][] pre(double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
        double[][] residual = config.residualBeforeLn() == ResidualBeforeLn.TRUE ? h : null;
        double[][] hidden = h;
        if (config.originalLnBefore()) {
            double[][] sum = add(h, x);
            if (layerNorm != null) {
                if (config.residualBeforeLn() == ResidualBeforeLn.POST_ADD) {
                    residual = sum;
                }
                hidden = layerNorm.apply(sum);
            } else {
                hidden = sum;
            }
        }
        if (config.residualBeforeLn() == ResidualBeforeLn.FALSE) {
            residual = hidden;
        }
        return new double[][][] {hidden, residual};
    }

    /** {@code Adapter.forward}: the body on {@code hidden}, the residual added before or after its layer norm. */
    double[][] adapter(String prefix, double[][] hidden, double[][] residual) {
        double[][] out = body(prefix, hidden);
        if (config.adapterResidualBeforeLn()) {
            out = add(out, residual);
        }
        if (config.lnAfter()) {
            out = layerNorm(out, adapter.get(prefix + "adapter_norm_after.weight"),
                    adapter.get(prefix + "adapter_norm_after.bias"));
        }
        if (!config.adapterResidualBeforeLn()) {
            out = add(out, residual);
        }
        return out;
    }

    /**
     * The layer's hidden states after a sub-block; this reference's one adapter, or what a subclass
     * composes there.
     */
    double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
        return bottleneck(prefix, h, x, layerNorm);
    }

    double[][] post(double[][] out, double[][] x, UnaryOperator<double[][]> layerNorm) {
        if (!config.originalLnAfter()) {
            return out;
        }
        return layerNorm == null ? add(out, x) : layerNorm.apply(add(out, x));
    }

    /** {@code up(act(down(ln_before(z)))) * scaling}. */
    double[][] body(String prefix, double[][] z) {
        String down = "adapter_down.0.";
        double[][] input = z;
        if (config.lnBefore()) {
            input = layerNorm(z, adapter.get(prefix + "adapter_norm_before.weight"),
                    adapter.get(prefix + "adapter_norm_before.bias"));
            down = "adapter_down.1.";
        }
        double[][] d = linear(input, adapter.get(prefix + down + "weight"), adapter.get(prefix + down + "bias"), width);
        for (double[] row : d) {
            for (int i = 0; i < row.length; i++) {
                row[i] = activation(row[i]);
            }
        }
        double[][] up = linear(d, adapter.get(prefix + "adapter_up.weight"), adapter.get(prefix + "adapter_up.bias"),
                TinyModel.HIDDEN);
        float[] learned = adapter.get(prefix + "scaling");
        for (double[] row : up) {
            for (int i = 0; i < row.length; i++) {
                row[i] *= learned == null ? config.scaling().factor() : learned[learned.length == 1 ? 0 : i];
            }
        }
        return up;
    }

    private double activation(double v) {
        return switch (config.nonLinearity()) {
            case "relu" -> Math.max(0, v);
            case "swish", "silu" -> v / (1 + Math.exp(-v));
            case "gelu" -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            case "tanh" -> Math.tanh(v);
            default -> throw new IllegalArgumentException(config.nonLinearity());
        };
    }

    /** Abramowitz-Stegun 7.1.26 is too coarse; this series and continued fraction are good to 1e-12. */
    static double erf(double x) {
        double t = Math.abs(x);
        double result;
        if (t < 3) {
            double sum = t;
            double term = t;
            for (int n = 1; n < 200; n++) {
                term *= -t * t / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            result = 1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) * (1 - 1 / (2 * t * t) + 3 / (4 * Math.pow(t, 4)));
        }
        return Math.signum(x) * result;
    }

    /** The forward of {@link TinyModel} with adapters at both places where the config puts them. */
    float[] run(long[][] ids) {
        int seq = ids[0].length;
        int hidden = TinyModel.HIDDEN;
        float[] out = new float[ids.length * seq * hidden];
        for (int b = 0; b < ids.length; b++) {
            double[][] x = new double[seq][hidden];
            for (int t = 0; t < seq; t++) {
                for (int i = 0; i < hidden; i++) {
                    x[t][i] = weights.get("embed_tokens.weight")[(int) ids[b][t] * hidden + i];
                }
            }
            for (int l = 0; l < TinyModel.LAYERS; l++) {
                String p = "layers." + l + ".";
                boolean on = !config.leaveOut().contains(l);
                double[][] attended = attention(rms(x, p + "input_layernorm"), p + "self_attn.");
                x = on && config.mhAdapter() ? site(p + "attention_adapters.", attended, x, null) : add(x, attended);
                double[][] up = linear(rms(x, p + "post_attention_layernorm"), weights.get(p + "mlp.up_proj.weight"),
                        weights.get(p + "mlp.up_proj.bias"), TinyModel.FFN);
                for (double[] r : up) {
                    for (int i = 0; i < r.length; i++) {
                        r[i] = Math.max(0, r[i]);
                    }
                }
                double[][] mlp = linear(up, weights.get(p + "mlp.down_proj.weight"), weights.get(p + "mlp.down_proj.bias"),
                        hidden);
                x = on && config.outputAdapter() ? site(p + "output_adapters.", mlp, x, null) : add(x, mlp);
            }
            for (int t = 0; t < seq; t++) {
                for (int i = 0; i < hidden; i++) {
                    out[(b * seq + t) * hidden + i] = (float) x[t][i];
                }
            }
        }
        return out;
    }

    private double[][] attention(double[][] x, String p) {
        int seq = x.length;
        int hidden = TinyModel.HIDDEN;
        double[][] q = linear(x, weights.get(p + "q_proj.weight"), weights.get(p + "q_proj.bias"), hidden);
        double[][] k = linear(x, weights.get(p + "k_proj.weight"), weights.get(p + "k_proj.bias"), hidden);
        double[][] v = linear(x, weights.get(p + "v_proj.weight"), weights.get(p + "v_proj.bias"), hidden);
        int hd = hidden / TinyModel.HEADS;
        double[][] context = new double[seq][hidden];
        for (int h = 0; h < TinyModel.HEADS; h++) {
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
        return linear(context, weights.get(p + "o_proj.weight"), weights.get(p + "o_proj.bias"), hidden);
    }

    private double[][] rms(double[][] x, String name) {
        float[] g = weights.get(name + ".weight");
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double value : x[t]) {
                ms += value * value;
            }
            double scale = Math.sqrt(ms / x[t].length + 1e-6); // the tiny model's RmsNorm epsilon
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = x[t][i] / scale * g[i];
            }
        }
        return y;
    }

    /** PyTorch's {@code nn.LayerNorm} (eps 1e-5). */
    static double[][] layerNorm(double[][] x, float[] gamma, float[] beta) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v / x[t].length;
            }
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean) / x[t].length;
            }
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + 1e-5) * gamma[i] + beta[i];
            }
        }
        return y;
    }

    /** {@code x W^T + b}, {@code W} as {@code [out, in]}. */
    static double[][] linear(double[][] x, float[] w, float[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double sum = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    sum += x[t][i] * w[o * in + i];
                }
                y[t][o] = sum;
            }
        }
        return y;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                y[t][i] = a[t][i] + b[t][i];
            }
        }
        return y;
    }
}

package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.bottleneck.AdapterPlusConfig;
import io.github.djladapters.runtime.methods.bottleneck.BnConfig;
import io.github.djladapters.runtime.methods.bottleneck.DoubleSeqBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.ParBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bottleneck adapters on a tiny post-LN BERT (hidden 16, 2 layers), where they sit between the
 * output projection and the declared {@code @LayerNorm1/2}: the layer output is checked against the
 * Adapters library's formulas in plain Java, with the layer norm the library passes to them.
 */
class BottleneckBertTest {

    private static final BertConfig CONFIG = TinyBertUnderTest.CONFIG;
    private static final int H = CONFIG.hiddenSize();

    @TempDir
    Path dir;

    private TinyBertUnderTest bert;
    private NDManager manager;

    @BeforeEach
    void open() {
        bert = new TinyBertUnderTest(dir);
        manager = bert.manager();
    }

    @AfterEach
    void close() {
        bert.close();
    }

    private AdapterModel<BertModel> model() throws Exception {
        return bert.model();
    }

    private float[] run(AdapterModel<BertModel> peft) {
        return bert.run(peft);
    }

    private static void perturb(AdapterModel<?> peft, String name, NDManager manager) {
        Engine.getInstance().setRandomSeed(9);
        Map<String, NDArray> random = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) -> random.put(key,
                manager.randomUniform(-0.3f, 0.3f, value.getShape()).add(key.endsWith("scaling") ? 1f : 0f)));
        peft.loadAdapterTensors(name, random);
    }

    @Test
    void mamInitialisationIsAnExactIdentityOnAPostLnModel() throws Exception {
        AdapterModel<BertModel> peft = model();
        float[] base = run(peft);
        for (BnConfig config : List.of(SeqBnConfig.builder().initWeights("mam_adapter").build(),
                DoubleSeqBnConfig.builder().initWeights("mam_adapter").build(), ParBnConfig.create())) {
            peft.addAdapter("zero", config);
            peft.setActiveAdapters("zero");
            assertArrayEquals(base, run(peft), config.toString());
            peft.deleteAdapter("zero");
        }
        // original_ln_after = false: the adapter's output is (LN(h + x) - x) + x, the base up to rounding
        peft.addAdapter("plus", AdapterPlusConfig.builder().initWeights("mam_adapter").reductionFactor(4).build());
        peft.setActiveAdapters("plus");
        assertArrayEquals(base, run(peft), 1e-5f);
        peft.deleteAdapter("plus");
        assertArrayEquals(base, run(peft));
    }

    @Test
    void layerOutputFollowsTheLibraryFormulasWithTheModelsLayerNorm() throws Exception {
        for (BnConfig config : List.of(SeqBnConfig.builder().reductionFactor(4).build(),
                AdapterPlusConfig.builder().reductionFactor(4).stochasticDepth(0).build(),
                ParBnConfig.builder().reductionFactor(4).build())) {
            AdapterModel<BertModel> peft = model();
            float[] base = run(peft);
            peft.addAdapter("bn", config);
            peft.setActiveAdapters("bn");
            perturb(peft, "bn", manager);
            assertTrue(maxDiff(base, run(peft)) > 1e-2, "a perturbed adapter changes the output");

            BertLayer layer = peft.model().layers.get(0);
            NDArray y = manager.randomUniform(-1, 1, new Shape(2, 3, H));
            NDArray mask = manager.zeros(new Shape(2, 1, 1, 3));
            ParameterStore store = new ParameterStore(manager, false);
            float[] actual = layer.forward(store, new NDList(y, mask), false).head().toFloatArray();
            // the pieces the library's output_adapters receive: h = dense(intermediate(x)), x = attention output
            NDArray x = layer.attention.forward(store, new NDList(y, mask), false).head();
            NDArray activated = layer.intermediate.forward(store, new NDList(x), false).head();
            Block dense = ((AdapterLayer<?>) layer.output.dense).base();
            double[][] h = rows(dense.forward(store, new NDList(activated), false).head().toFloatArray());
            double[][] residual = rows(x.toFloatArray());
            Block norm = layer.output.layerNorm instanceof AdapterLayer<?> wrapped ? wrapped.base() : layer.output.layerNorm;
            float[] gamma = norm.getParameters().get("weight").getArray().toFloatArray();
            float[] beta = norm.getParameters().get("bias").getArray().toFloatArray();
            Map<String, float[]> w = new HashMap<>();
            peft.adapterTensors("bn", manager).forEach((key, value) -> {
                if (key.contains("encoder.layer.0.output.")) {
                    w.put(key.substring(key.lastIndexOf("output.") + "output.".length()), value.toFloatArray());
                }
            });
            double[][] expected = library(config, w, h, residual, z -> layerNorm(z, gamma, beta, CONFIG.layerNormEps()));
            assertArrayEquals(flat(expected), actual, 2e-5f, config.toString());
        }
    }

    /** {@code bottleneck_layer_forward} for one adapter, from modeling.py (relu/gelu, no ln_before/after). */
    private static double[][] library(BnConfig c, Map<String, float[]> w, double[][] h, double[][] x,
            java.util.function.UnaryOperator<double[][]> ln) {
        int width = c.width(H, 0);
        if (c.isParallel()) {
            double[][] out = add(body(c, w, x, width), h);
            return ln.apply(add(out, x));
        }
        double[][] residual = h;
        double[][] input = h;
        if (c.originalLnBefore()) {
            input = ln.apply(add(h, x));
        }
        if (c.residualBeforeLn().name().equals("FALSE")) {
            residual = input;
        }
        double[][] out = add(body(c, w, input, width), residual);
        return c.originalLnAfter() ? ln.apply(add(out, x)) : out;
    }

    private static double[][] body(BnConfig c, Map<String, float[]> w, double[][] z, int width) {
        double[][] down = linear(z, w.get("adapter_down.0.weight"), w.get("adapter_down.0.bias"), width);
        for (double[] row : down) {
            for (int i = 0; i < row.length; i++) {
                double v = row[i];
                row[i] = c.nonLinearity().equals("relu") ? Math.max(0, v) : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            }
        }
        double[][] up = linear(down, w.get("adapter_up.weight"), w.get("adapter_up.bias"), H);
        float[] channel = w.get("scaling");
        for (double[] row : up) {
            for (int i = 0; i < row.length; i++) {
                row[i] *= channel != null ? channel[i] : c.scaling().factor();
            }
        }
        return up;
    }

    private static double erf(double x) {
        double t = Math.abs(x);
        double sum = t;
        double term = t;
        for (int n = 1; n < 200; n++) {
            term *= -t * t / n;
            sum += term / (2 * n + 1);
        }
        return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
    }

    private static double[][] layerNorm(double[][] x, float[] gamma, float[] beta, double eps) {
        double[][] y = new double[x.length][H];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v / H;
            }
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean) / H;
            }
            for (int i = 0; i < H; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
            }
        }
        return y;
    }

    private static double[][] linear(double[][] x, float[] w, float[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += x[t][i] * w[o * in + i];
                }
                y[t][o] = s;
            }
        }
        return y;
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

    private static double[][] rows(float[] flat) {
        double[][] y = new double[flat.length / H][H];
        for (int i = 0; i < flat.length; i++) {
            y[i / H][i % H] = flat[i];
        }
        return y;
    }

    private static float[] flat(double[][] x) {
        float[] y = new float[x.length * H];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < H; i++) {
                y[t * H + i] = (float) x[t][i];
            }
        }
        return y;
    }

    @Test
    void savesLoadsDisablesTrainsAndCountsAsTheFormulaSays() throws Exception {
        AdapterModel<BertModel> peft = model();
        float[] base = run(peft);
        long all = peft.trainableParameters().all();
        peft.addAdapter("bn", DoubleSeqBnConfig.builder().reductionFactor(4).build());
        perturb(peft, "bn", manager);
        peft.trainAdapter("bn");
        // Houlsby: two places per layer, each down H*d + d and up d*H + H, with H = 16 and d = 16 // 4 = 4
        long formula = CONFIG.numHiddenLayers() * 2L * (2L * H * 4 + 4 + H);
        String line = peft.printTrainableParameters();
        assertTrue(line.startsWith(String.format("trainable params: %,d || all params: %,d", formula, all + formula)),
                line);
        float[] trained = run(peft);
        assertTrue(maxDiff(base, trained) > 1e-2);
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, run(peft));
        }

        List<Parameter> own = peft.attachments().stream().flatMap(a -> a.parameters("bn").stream()).toList();
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray out = peft.model().forward(new ParameterStore(scope, false), bert.inputs(scope), true).head();
            collector.backward(out.square().sum());
        }
        for (Parameter parameter : own) {
            assertTrue(parameter.getArray().getGradient().abs().sum().getFloat() > 0, parameter.getName());
        }
        for (Parameter parameter : peft.model().getParameters().values()) {
            if (!own.contains(parameter)) {
                assertFalse(parameter.requiresGradient(), parameter.getName());
            }
        }

        peft.saveAdapter(dir.resolve("saved"));
        AdapterModel<BertModel> fresh = model();
        fresh.loadAdapter(dir.resolve("saved").resolve("bn"), "bn");
        fresh.setActiveAdapters("bn");
        assertArrayEquals(trained, run(fresh));
        assertEquals(formula, fresh.adapterSummary().rows().get(0).parameters());
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

package io.github.djladapters.models.reft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.TransformersFixture;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ReFT (the Adapters library's LoReFT, NoReFT and DiReFT) on an encoder (the tiny post-LN BERT, at
 * its {@code @LayerNorm2}) and decoders (the tiny pre-LN Llama and GPT-2, at the feed-forward output with
 * the residual recorded at {@code @PreFfn}): identity at init, save/load, disable, gradients, the
 * parameter formula, and two adapters at once against their composition computed here.
 */
class ReftTest {

    private static final long[] IDS = {1, 5, 17, 33, 9, 20, 21};

    @TempDir
    static Path checkpoints;

    /** The model and its hidden size. */
    private record Loaded(Block model, long hidden) {}

    private static Loaded load(String kind, NDManager manager) throws Exception {
        if (kind.equals("bert")) {
            BertConfig config = TinyCheckpoints.tinyBert();
            Path dir = checkpoints.resolve("bert");
            if (!dir.toFile().exists()) {
                var shapes = TinyCheckpoints.shapes(config);
                TinyCheckpoints.write(dir, config, shapes, TinyCheckpoints.randomWeights(shapes, 5), TensorDType.F32, 1,
                        "");
            }
            return new Loaded(BertModels.fromCheckpoint(dir, manager), 16);
        }
        if (kind.equals("gpt2")) {
            return new Loaded(GPT2Models.fromCheckpoint(TransformersFixture.open("gpt2-tiny").base(), manager), 64);
        }
        return new Loaded(LlamaModels.fromCheckpoint(TransformersFixture.open("llama-tiny").base(), manager), 64);
    }

    private static float[] run(Block model, NDManager manager, boolean bert) {
        try (NDManager scope = manager.newSubManager()) {
            long[] ids = bert ? java.util.Arrays.stream(IDS).map(i -> i % 40).toArray() : IDS;
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            return model.forward(new ParameterStore(scope, false), new NDList(input), false).head().toFloatArray();
        }
    }

    /** Replaces every tensor of an adapter by seeded N(0, 0.3^2) values. */
    private static void perturb(AdapterModel<?> adapters, String name, NDManager manager, long seed) {
        Random random = new Random(seed);
        Map<String, NDArray> tensors = adapters.adapterTensors(name, manager);
        tensors.replaceAll((key, value) -> {
            float[] values = new float[(int) value.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.3);
            }
            return manager.create(values, value.getShape());
        });
        adapters.loadAdapterTensors(name, tensors);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "llama", "gpt2"})
    void newAdaptersAreTheIdentityAndDisablingGivesTheBaseBack(String kind) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Loaded loaded = load(kind, manager);
            boolean bert = kind.equals("bert");
            float[] base = run(loaded.model(), manager, bert);
            AdapterModel<Block> adapters = Adapters.init(loaded.model());
            adapters.addAdapter("lo", ReftConfig.loReft().r(2).positions(2, 2).build());
            adapters.addAdapter("no", ReftConfig.noReft().positions(3, 1).build());
            adapters.addAdapter("di", ReftConfig.diReft().r(3).positions(1, 2).build());
            for (String name : List.of("lo", "no", "di")) {
                adapters.setActiveAdapters(name);
                assertArrayEquals(base, run(loaded.model(), manager, bert), 0f, name + " starts as the identity");
            }
            adapters.setActiveAdapters("lo", "no", "di");
            assertArrayEquals(base, run(loaded.model(), manager, bert), 0f);
            perturb(adapters, "lo", manager, 1);
            adapters.setActiveAdapters("lo");
            float[] changed = run(loaded.model(), manager, bert);
            assertTrue(maxDiff(base, changed) > 1e-3, "a perturbed adapter changes the output");
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertArrayEquals(base, run(loaded.model(), manager, bert), 0f);
            }
            assertArrayEquals(changed, run(loaded.model(), manager, bert), 0f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "llama", "gpt2"})
    void everyFieldAndTensorSurvivesSaveAndLoad(String kind, @TempDir Path out) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Loaded loaded = load(kind, manager);
            boolean bert = kind.equals("bert");
            AdapterModel<Block> adapters = Adapters.init(loaded.model());
            ReftConfig di = ReftConfig.diReft().r(2).positions(2, 1).layers(List.of(1))
                    .tiedWeights(true).dropout(0.1).nonLinearity("tanh").build();
            ReftConfig lo = ReftConfig.loReft().r(2).positions(1, 3).build();
            adapters.addAdapter("di", di);
            adapters.addAdapter("lo", lo);
            perturb(adapters, "di", manager, 2);
            perturb(adapters, "lo", manager, 3);
            adapters.setActiveAdapters("di", "lo");
            float[] expected = run(loaded.model(), manager, bert);
            adapters.saveAdapterFolder("di", out.resolve("di"));
            adapters.saveAdapterFolder("lo", out.resolve("lo"));

            Loaded fresh = load(kind, manager);
            AdapterModel<Block> reloaded = Adapters.init(fresh.model());
            reloaded.loadAdapter(out.resolve("di"), "di");
            reloaded.loadAdapter(out.resolve("lo"), "lo");
            assertEquals(di, reloaded.adapterConfig("di"), "DiReFT keeps subtract_projection=false and every field");
            assertEquals(lo, reloaded.adapterConfig("lo"));
            reloaded.setActiveAdapters("di", "lo");
            assertEquals(0, maxDiff(expected, run(fresh.model(), manager, bert)), 1e-6);
            String config = java.nio.file.Files.readString(out.resolve("di").resolve("adapter_config.json"));
            assertTrue(config.contains("\"subtract_projection\": false"), config);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "llama", "gpt2"})
    void onlyReftParametersGetGradientsAndTheirCountFollowsTheFormula(String kind) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Loaded loaded = load(kind, manager);
            AdapterModel<Block> adapters = Adapters.init(loaded.model());
            int r = 2;
            adapters.addAdapter("t", ReftConfig.loReft().r(r).positions(2, 2).dropout(0).build());
            adapters.trainAdapter("t");
            // layers x units (prefix, suffix) x (W [r, hidden] + b [r] + R [r, hidden])
            long layers = 2;
            assertEquals(layers * 2 * (2 * r * loaded.hidden() + r), adapters.trainableParameters().trainable());
            perturb(adapters, "t", manager, 4);
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                long[] ids = kind.equals("bert") ? java.util.Arrays.stream(IDS).map(i -> i % 40).toArray() : IDS;
                NDArray out = loaded.model().forward(new ParameterStore(scope, false),
                        new NDList(scope.create(ids, new Shape(1, ids.length))), true).head();
                collector.backward(out.square().mean());
            }
            int withGradient = 0;
            for (AdapterAttachment attachment : adapters.attachments()) {
                for (Parameter p : attachment.parameters("t")) {
                    assertTrue(p.getArray().getGradient().abs().sum().getFloat() > 0, p.getName() + " has no gradient");
                    withGradient++;
                }
            }
            assertEquals(layers * 2 * 3, withGradient);
            for (Parameter p : loaded.model().getParameters().values()) {
                if (!p.requiresGradient()) {
                    assertTrue(!p.getArray().hasGradient() || p.getArray().getGradient().abs().sum().getFloat() == 0,
                            p.getName());
                }
            }
        }
    }

    @Test
    void twoAdaptersAtOnceEqualTheirCompositionComputedByHand() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Loaded loaded = load("bert", manager);
            AdapterModel<Block> adapters = Adapters.init(loaded.model());
            float[] base = run(loaded.model(), manager, true); // [1, 7, 16]: the last layer's output
            ReftConfig a = ReftConfig.loReft().r(2).positions(2, 1).layers(List.of(1))
                    .dropout(0).build();
            ReftConfig b = ReftConfig.diReft().r(3).positions(3, 0).layers(List.of(1))
                    .tiedWeights(true).dropout(0).build();
            adapters.addAdapter("a", a);
            adapters.addAdapter("b", b);
            perturb(adapters, "a", manager, 5);
            perturb(adapters, "b", manager, 6);
            adapters.setActiveAdapters("a", "b");
            float[] ours = run(loaded.model(), manager, true);
            int seq = IDS.length;
            int hidden = 16;
            double[][] h = new double[seq][hidden];
            for (int t = 0; t < seq; t++) {
                for (int d = 0; d < hidden; d++) {
                    h[t][d] = base[t * hidden + d];
                }
            }
            h = byHand(h, a, adapters.adapterTensors("a", manager));
            h = byHand(h, b, adapters.adapterTensors("b", manager));
            double worst = 0;
            for (int t = 0; t < seq; t++) {
                for (int d = 0; d < hidden; d++) {
                    worst = Math.max(worst, Math.abs(h[t][d] - ours[t * hidden + d]));
                }
            }
            assertTrue(worst < 1e-5, "composition differs by " + worst);
            assertTrue(maxDiff(base, ours) > 1e-2);
        }
    }

    /** {@code h + R^T (W h + b - R h)} on the adapter's positions, in double precision. */
    private static double[][] byHand(double[][] h, ReftConfig config, Map<String, NDArray> tensors) {
        int seq = h.length;
        double[][] out = new double[seq][];
        for (int t = 0; t < seq; t++) {
            boolean suffix = t >= seq - config.suffixPositions();
            boolean prefix = t < config.prefixPositions() && !suffix;
            if (!prefix && !suffix) {
                out[t] = h[t].clone();
                continue;
            }
            int unit = config.tiedWeights() || prefix ? 0 : 1;
            String key = tensors.keySet().stream().filter(k -> k.contains("units." + unit + ".learned_source.weight"))
                    .findFirst().orElseThrow();
            String stem = key.substring(0, key.length() - "learned_source.weight".length());
            double[][] w = matrix(tensors.get(key));
            double[] bias = vector(tensors.get(stem + "learned_source.bias"));
            double[][] r = matrix(tensors.get(stem + "projection.weight"));
            if (config.orthogonality()) {
                r = gramSchmidt(r);
            }
            double[] source = new double[r.length];
            for (int k = 0; k < r.length; k++) {
                source[k] = dot(w[k], h[t]) + bias[k] - (config.subtractProjection() ? dot(r[k], h[t]) : 0);
            }
            out[t] = h[t].clone();
            for (int k = 0; k < r.length; k++) {
                for (int d = 0; d < h[t].length; d++) {
                    out[t][d] += source[k] * r[k][d];
                }
            }
        }
        return out;
    }

    private static double[][] gramSchmidt(double[][] rows) {
        double[][] q = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double[] v = rows[i].clone();
            for (int j = 0; j < i; j++) {
                double c = dot(v, q[j]);
                for (int d = 0; d < v.length; d++) {
                    v[d] -= c * q[j][d];
                }
            }
            double norm = Math.sqrt(dot(v, v));
            for (int d = 0; d < v.length; d++) {
                v[d] /= norm;
            }
            q[i] = v;
        }
        return q;
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    private static double[][] matrix(NDArray array) {
        int rows = (int) array.getShape().get(0);
        int cols = (int) array.getShape().get(1);
        float[] values = array.toFloatArray();
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = values[i * cols + j];
            }
        }
        return m;
    }

    private static double[] vector(NDArray array) {
        float[] values = array.toFloatArray();
        double[] v = new double[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = values[i];
        }
        return v;
    }

    @Test
    void badConfigsAreRefusedBeforeAnythingChanges() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<Block> adapters = Adapters.init(load("llama", manager).model());
            IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                    () -> adapters.addAdapter("x", ReftConfig.loReft().layers(List.of(2)).build()));
            assertTrue(layer.getMessage().contains("layers 0 to 1"), layer.getMessage());
            assertThrows(IllegalArgumentException.class, () -> adapters.addAdapter("x", ReftConfig.loReft().r(0).build()));
            assertThrows(IllegalArgumentException.class,
                    () -> adapters.addAdapter("x", ReftConfig.loReft().dropout(0).nonLinearity("cubic").build()));
            assertTrue(adapters.adapters().isEmpty());
            assertTrue(adapters.attachments().isEmpty());
        }
    }

    private static double maxDiff(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}

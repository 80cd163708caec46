package io.github.djladapters.runtime.methods.bottleneck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.files.AdapterConfigFile;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Adapters library's {@code NICECouplingBlock}, against a plain double computation of its
 * formulas, and the {@code inv_adapter} config keys.
 */
class NiceCouplingTest {

    private static final int HIDDEN = 9; // odd: x1 has 4 features, x2 has 5

    @TempDir
    Path dir;

    @Test
    void couplingMatchesTheLibraryFormulasAndItsInverseUndoesIt() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            NiceCoupling coupling = new NiceCoupling(HIDDEN, 2, "relu", manager);
            for (Parameter p : coupling.namedParameters().values()) {
                p.getArray().intern(manager.randomUniform(-0.6f, 0.6f, p.getArray().getShape()));
            }
            NDArray x = manager.randomUniform(-2f, 2f, new Shape(2, 3, HIDDEN));
            ParameterStore store = new ParameterStore(manager, false);
            NDArray y = coupling.apply(store, x, false, false);
            float[] expected = reference(coupling, x.toFloatArray());
            float[] actual = y.toFloatArray();
            double changed = 0;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5, "element " + i);
                changed = Math.max(changed, Math.abs(actual[i] - x.toFloatArray()[i]));
            }
            assertTrue(changed > 0.1, "the perturbed coupling changes its input: " + changed);
            float[] back = coupling.apply(store, y, true, false).toFloatArray();
            float[] original = x.toFloatArray();
            for (int i = 0; i < original.length; i++) {
                assertEquals(original[i], back[i], 1e-5, "inverse(forward(x)) at " + i);
            }
            float[] forwardOfInverse = coupling.apply(store, coupling.apply(store, x, true, false), false, false)
                    .toFloatArray();
            for (int i = 0; i < original.length; i++) {
                assertEquals(original[i], forwardOfInverse[i], 1e-5, "forward(inverse(x)) at " + i);
            }
        }
    }

    @Test
    void shapesAndParameterCountFollowTheSubnetConstructor() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // F: 5 -> floor(5 / 2.5) = 2 -> 4; G: 4 -> floor(4 / 2.5) = 1 -> 5
            NiceCoupling coupling = new NiceCoupling(HIDDEN, 2.5, "tanh", manager);
            Map<String, Parameter> named = coupling.namedParameters();
            assertEquals(new Shape(2, 5), named.get("F.0.weight").getArray().getShape());
            assertEquals(new Shape(4, 2), named.get("F.2.weight").getArray().getShape());
            assertEquals(new Shape(1, 4), named.get("G.0.weight").getArray().getShape());
            assertEquals(new Shape(5), named.get("G.2.bias").getArray().getShape());
            long sum = named.values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals((5 * 2 + 2 + 2 * 4 + 4) + (4 * 1 + 1 + 1 * 5 + 5), sum);
            assertEquals(sum, NiceCoupling.parameterCount(HIDDEN, 2.5));
            assertEquals(0f, named.get("F.0.bias").getArray().abs().sum().getFloat(), "init_bert_weights: zero biases");
            IllegalArgumentException narrow = assertThrows(IllegalArgumentException.class,
                    () -> new NiceCoupling(HIDDEN, 8, "relu", manager));
            assertTrue(narrow.getMessage().contains("inv_adapter_reduction_factor 8.0"), narrow.getMessage());
        }
    }

    @Test
    void presetsAndTheConfigKeys() throws Exception {
        BnConfig seq = SeqBnInvConfig.create();
        assertEquals("nice", seq.invAdapter());
        assertEquals(2.0, seq.invAdapterReductionFactor());
        assertEquals(SeqBnConfig.builder().invAdapter("nice").invAdapterReductionFactor(2.0).build(), seq);
        assertEquals(DoubleSeqBnConfig.builder().invAdapter("nice").invAdapterReductionFactor(2.0).build(),
                DoubleSeqBnInvConfig.create());
        assertNull(SeqBnConfig.create().invAdapter());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> SeqBnConfig.builder().invAdapter("real_nvp").invAdapterReductionFactor(2.0).build());
        assertTrue(unknown.getMessage().contains("inv_adapter 'real_nvp' is not one of [glow, nice]"),
                unknown.getMessage());
        IllegalArgumentException noFactor = assertThrows(IllegalArgumentException.class,
                () -> SeqBnConfig.builder().invAdapter("nice").build());
        assertTrue(noFactor.getMessage().contains("inv_adapter_reduction_factor"), noFactor.getMessage());

        // as the library writes SeqBnInvConfig (dataclasses.asdict)
        String library = """
                {"config": {"architecture": null, "mh_adapter": false, "output_adapter": true,
                  "reduction_factor": 16, "non_linearity": "relu", "original_ln_before": true,
                  "original_ln_after": true, "ln_before": false, "ln_after": false, "init_weights": "bert",
                  "init_weights_seed": null, "is_parallel": false, "scaling": 1.0, "use_gating": false,
                  "residual_before_ln": true, "adapter_residual_before_ln": false, "inv_adapter": "nice",
                  "inv_adapter_reduction_factor": 2, "cross_adapter": false, "leave_out": [], "dropout": 0.0,
                  "phm_layer": false, "phm_dim": 4, "factorized_phm_W": true, "shared_W_phm": false,
                  "shared_phm_rule": true, "factorized_phm_rule": false, "phm_c_init": "normal",
                  "phm_init_range": 0.0001, "learn_phm": true, "hypercomplex_nonlinearity": "glorot-uniform",
                  "phm_rank": 1, "phm_bias": true, "stochastic_depth": 0.0},
                 "hidden_size": 32, "model_class": "GPT2LMHeadModel", "model_name": "tiny",
                 "model_type": "gpt2", "name": "lang", "version": "adapters.1.2.0"}""";
        Path file = dir.resolve("adapter_config.json");
        Files.writeString(file, library);
        AdapterConfigFile read = AdapterConfigFile.read(file);
        assertTrue(read.unknownKeys().isEmpty(), read.unknownKeys().toString());
        assertEquals(seq, read.config());
        assertEquals("nice", new BottleneckLibraryFormat().writeConfig(seq).get("inv_adapter").asText());
        assertEquals(2.0, new BottleneckLibraryFormat().writeConfig(seq).get("inv_adapter_reduction_factor")
                .asDouble());
        assertTrue(new BottleneckLibraryFormat().writeConfig(SeqBnConfig.create()).get("inv_adapter").isNull());

        Files.writeString(file, library.replace("\"inv_adapter\": \"nice\"", "\"inv_adapter\": \"flow\""));
        CheckpointException bad = assertThrows(CheckpointException.class, () -> AdapterConfigFile.read(file));
        assertTrue(bad.getMessage().contains("inv_adapter 'flow'"), bad.getMessage());
    }

    @Test
    void commandLineNamesTheInvertiblePresetsAndOptions() {
        BottleneckCommandLine cli = new BottleneckCommandLine();
        assertEquals(SeqBnInvConfig.create(), cli.config("seq_bn_inv", new MethodArguments(Map.of())));
        assertEquals(DoubleSeqBnInvConfig.create(), cli.config("houlsby+inv", new MethodArguments(Map.of())));
        assertEquals(SeqBnConfig.builder().invAdapter("nice").invAdapterReductionFactor(4.0).build(),
                cli.config("seq_bn", new MethodArguments(Map.of("inv_adapter", "nice",
                        "inv_adapter_reduction_factor", "4"))));
        assertEquals(SeqBnInvConfig.create(), cli.config("seq_bn", new MethodArguments(Map.of("inv_adapter", "nice"))));
    }

    /** The library's NICE forward in doubles: y1 = x1 + F(x2), y2 = x2 + G(y1), F and G Linear-ReLU-Linear. */
    private static float[] reference(NiceCoupling coupling, float[] x) {
        Map<String, Parameter> p = coupling.namedParameters();
        int h1 = HIDDEN / 2;
        int h2 = HIDDEN - h1;
        float[] out = new float[x.length];
        for (int row = 0; row < x.length / HIDDEN; row++) {
            double[] x1 = new double[h1];
            double[] x2 = new double[h2];
            for (int i = 0; i < HIDDEN; i++) {
                if (i < h1) {
                    x1[i] = x[row * HIDDEN + i];
                } else {
                    x2[i - h1] = x[row * HIDDEN + i];
                }
            }
            double[] f = mlp(p, "F", x2);
            double[] y1 = new double[h1];
            for (int i = 0; i < h1; i++) {
                y1[i] = x1[i] + f[i];
            }
            double[] g = mlp(p, "G", y1);
            for (int i = 0; i < HIDDEN; i++) {
                out[row * HIDDEN + i] = (float) (i < h1 ? y1[i] : x2[i - h1] + g[i - h1]);
            }
        }
        return out;
    }

    private static double[] mlp(Map<String, Parameter> p, String net, double[] in) {
        double[] hidden = linear(p.get(net + ".0.weight"), p.get(net + ".0.bias"), in);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = Math.max(0, hidden[i]);
        }
        return linear(p.get(net + ".2.weight"), p.get(net + ".2.bias"), hidden);
    }

    private static double[] linear(Parameter weight, Parameter bias, double[] in) {
        float[] w = weight.getArray().toFloatArray();
        float[] b = bias.getArray().toFloatArray();
        double[] out = new double[b.length];
        for (int o = 0; o < out.length; o++) {
            double sum = b[o];
            for (int i = 0; i < in.length; i++) {
                sum += (double) w[o * in.length + i] * in[i];
            }
            out[o] = sum;
        }
        return out;
    }
}

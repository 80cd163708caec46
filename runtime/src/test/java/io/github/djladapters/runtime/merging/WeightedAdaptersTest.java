package io.github.djladapters.runtime.merging;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weighted merging on the tiny model, checked against arithmetic done here on the source tensors:
 * the updates {@code s B A} of the sources and of the result.
 */
class WeightedAdaptersTest {

    private static final LoRAConfig R2 = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE)
            .build();
    private static final LoRAConfig R3 = LoRAConfig.builder().r(3).loraAlpha(3).attnMatrices("q", "k", "v")
            .initLoraWeights(LoRAInit.NONE).build();

    /** Module path to {@code scaling * B A} (row-major {@code [out, in]}) of one LoRA adapter. */
    private static Map<String, double[][]> updates(AdapterModel<?> model, String name, NDManager manager) {
        Map<String, double[][]> out = new TreeMap<>();
        double scaling = ((LoRAConfig) model.adapterConfig(name)).loraAlpha()
                / (double) ((LoRAConfig) model.adapterConfig(name)).r();
        Map<String, NDArray> tensors = model.adapterTensors(name, manager);
        for (String key : tensors.keySet()) {
            if (!key.endsWith("lora_A.weight")) {
                continue;
            }
            String module = key.substring(0, key.length() - ".lora_A.weight".length());
            NDArray a = tensors.get(key);
            NDArray b = tensors.get(module + ".lora_B.weight");
            float[] product = b.matMul(a).toFloatArray();
            int rows = (int) b.getShape().get(0);
            int cols = (int) a.getShape().get(1);
            double[][] update = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    update[i][j] = product[i * cols + j] * scaling;
                }
            }
            out.put(module, update);
        }
        return out;
    }

    private static double[][] weightedSum(List<Map<String, double[][]>> sources, double[] weights, String module,
            int rows, int cols) {
        double[][] sum = new double[rows][cols];
        for (int s = 0; s < sources.size(); s++) {
            double[][] u = sources.get(s).get(module);
            if (u == null) {
                continue;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    sum[i][j] += weights[s] * u[i][j];
                }
            }
        }
        return sum;
    }

    private static double maxAbsDiff(double[][] x, double[][] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                max = Math.max(max, Math.abs(x[i][j] - y[i][j]));
            }
        }
        return max;
    }

    @Test
    void catUpdateIsTheWeightedSumOfUpdatesOnEveryModuleAnyAdapterAdapts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R3);
            double[] weights = {0.8, -1.5};
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(0.8, -1.5), "cat",
                    WeightedMergeOptions.of(CombinationType.CAT));
            LoRAConfig config = (LoRAConfig) peft.adapterConfig("cat");
            assertEquals(5, config.r());
            assertEquals(5, config.loraAlpha());
            List<Map<String, double[][]>> sources = List.of(updates(peft, "a", manager), updates(peft, "b", manager));
            Map<String, double[][]> merged = updates(peft, "cat", manager);
            assertEquals(sources.get(1).keySet(), merged.keySet(), "q, k and v of every layer");
            for (Map.Entry<String, double[][]> entry : merged.entrySet()) {
                double[][] expected = weightedSum(sources, weights, entry.getKey(), entry.getValue().length,
                        entry.getValue()[0].length);
                assertEquals(0, maxAbsDiff(expected, entry.getValue()), 1e-6, entry.getKey());
            }
        }
    }

    @Test
    void svdAtFullRankReproducesTheSumAndLowerRankMeetsTheEckartYoungBound() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R3);
            double[] weights = {0.8, -1.5};
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(0.8, -1.5), "full",
                    WeightedMergeOptions.of(CombinationType.SVD).svdRank(5));
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(0.8, -1.5), "low",
                    WeightedMergeOptions.of(CombinationType.SVD).svdRank(2));
            List<Map<String, double[][]>> sources = List.of(updates(peft, "a", manager), updates(peft, "b", manager));
            Map<String, double[][]> full = updates(peft, "full", manager);
            Map<String, double[][]> low = updates(peft, "low", manager);
            for (String module : full.keySet()) {
                double[][] expected = weightedSum(sources, weights, module, full.get(module).length,
                        full.get(module)[0].length);
                assertEquals(0, maxAbsDiff(expected, full.get(module)), 1e-4, module);
                double error = frobenius(expected, low.get(module));
                double bound = tailNorm(expected, 2);
                assertTrue(error <= bound * (1 + 1e-4) + 1e-6, module + ": error " + error + " above bound " + bound);
            }
        }
    }

    /**
     * The best rank-k error, {@code sqrt} of the sum of the smallest eigenvalues of {@code x x^T}: a
     * symmetric eigen decomposition, independent of the SVD under test.
     */
    private static double tailNorm(double[][] x, int k) {
        org.ejml.data.DMatrixRMaj m = new org.ejml.data.DMatrixRMaj(x);
        org.ejml.data.DMatrixRMaj gram = new org.ejml.data.DMatrixRMaj(x.length, x.length);
        org.ejml.dense.row.CommonOps_DDRM.multTransB(m, m, gram);
        var eig = org.ejml.dense.row.factory.DecompositionFactory_DDRM.eig(x.length, false, true);
        assertTrue(eig.decompose(gram));
        double[] eigen = new double[x.length];
        for (int i = 0; i < eigen.length; i++) {
            eigen[i] = eig.getEigenvalue(i).real;
        }
        java.util.Arrays.sort(eigen);
        double tail = 0;
        for (int i = 0; i < eigen.length - k; i++) {
            tail += Math.max(eigen[i], 0);
        }
        return Math.sqrt(tail);
    }

    private static double frobenius(double[][] x, double[][] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                sum += (x[i][j] - y[i][j]) * (x[i][j] - y[i][j]);
            }
        }
        return Math.sqrt(sum);
    }

    @Test
    void dareKeepsAboutDensityOfTheValuesRescaledAndIsReproducibleBySeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            WeightedMergeOptions dare = WeightedMergeOptions.of(CombinationType.DARE_LINEAR).density(0.25).seed(7);
            // two copies of one adapter keep the arithmetic readable: each factor value is
            // w_a x + w_b x with each term kept with probability 0.25 and divided by it
            peft.addAdapter("b", R2);
            peft.loadAdapterTensors("b", peft.adapterTensors("a", manager));
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(1.0, 1.0), "d1", dare);
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(1.0, 1.0), "d2", dare);
            Map<String, NDArray> source = peft.adapterTensors("a", manager);
            Map<String, NDArray> first = peft.adapterTensors("d1", manager);
            Map<String, NDArray> second = peft.adapterTensors("d2", manager);
            int values = 0;
            int kept = 0;
            for (String key : source.keySet()) {
                float[] x = source.get(key).toFloatArray();
                float[] y = first.get(key).toFloatArray();
                assertEquals(0, maxDiff(y, second.get(key).toFloatArray()), 0, "same seed, same masks");
                float w = (float) Math.sqrt(2); // sqrt(weight * scaling), scaling 4/2
                for (int i = 0; i < x.length; i++) {
                    if (Math.abs(x[i]) < 1e-3) {
                        continue; // the ratio below would be noise
                    }
                    // each of the two terms is 0 or w x / 0.25
                    double terms = y[i] / (w * x[i] / 0.25);
                    assertTrue(Math.abs(terms - Math.rint(terms)) < 1e-4 && terms >= -1e-4 && terms <= 2 + 1e-4,
                            key + "[" + i + "]: " + y[i] + " is not 0, 1 or 2 kept terms of " + x[i]);
                    kept += (int) Math.rint(terms);
                    values += 2;
                }
            }
            double fraction = kept / (double) values;
            assertTrue(Math.abs(fraction - 0.25) < 0.05, "kept fraction " + fraction);
        }
    }

    @Test
    void theResultIsAnOrdinaryAdapterThatTrainsSavesLoadsAndMerges(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R2);
            WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"), List.of(0.5, 0.5), "ties",
                    WeightedMergeOptions.of(CombinationType.TIES).density(0.5));
            assertFalse(peft.activeAdapters().contains("ties"));
            peft.trainAdapter("ties");
            assertEquals(peft.adapterSummary().rows().stream().filter(r -> r.name().equals("ties")).findFirst()
                    .orElseThrow().parameters(), peft.trainableParameters().trainable());
            float[] unmerged = run(peft, manager);
            peft.saveAdapterFolder("ties", dir);
            AdapterModel<TinyModel> fresh = tiny(manager, false);
            fresh.loadAdapter(dir, "ties");
            fresh.setActiveAdapters("ties");
            assertEquals(0, maxDiff(unmerged, run(fresh, manager)), 0);
            peft.mergeAdapter("ties");
            assertEquals(0, maxDiff(unmerged, run(peft, manager)), 1e-4);
        }
    }

    @Test
    void ia3WeightedIsTheWeightedSumOfTheVectors() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("x", IA3Config.builder().initIa3Weights(false).build());
            peft.addAdapter("y", IA3Config.builder().initIa3Weights(false).build());
            WeightedAdapters.addWeightedAdapter(peft, List.of("x", "y"), List.of(0.25, 2), "xy", null);
            Map<String, NDArray> x = peft.adapterTensors("x", manager);
            Map<String, NDArray> y = peft.adapterTensors("y", manager);
            Map<String, NDArray> xy = peft.adapterTensors("xy", manager);
            assertEquals(x.keySet(), xy.keySet());
            for (String key : x.keySet()) {
                assertEquals(x.get(key).getShape(), xy.get(key).getShape(), key);
                float[] expected = x.get(key).mul(0.25f).add(y.get(key).mul(2f)).toFloatArray();
                assertEquals(0, maxDiff(expected, xy.get(key).toFloatArray()), 1e-6, key);
            }
        }
    }

    @Test
    void averageAdapterNormalisesWeightsAndNegatesOnlyB() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R2.toBuilder().loraDropout(0.1).build()); // dropout may differ
            WeightedAdapters.averageAdapter(peft, "avg", List.of("a", "b"), List.of(3, 1), CombineStrategy.LINEAR,
                    true, null);
            WeightedAdapters.averageAdapter(peft, "neg", List.of("a", "b"), List.of(1, -1),
                    CombineStrategy.LORA_LINEAR_ONLY_NEGATE_B, false, null);
            Map<String, NDArray> a = peft.adapterTensors("a", manager);
            Map<String, NDArray> b = peft.adapterTensors("b", manager);
            Map<String, NDArray> avg = peft.adapterTensors("avg", manager);
            Map<String, NDArray> neg = peft.adapterTensors("neg", manager);
            for (String key : a.keySet()) {
                float[] expected = a.get(key).mul(0.75f).add(b.get(key).mul(0.25f)).toFloatArray();
                assertEquals(0, maxDiff(expected, avg.get(key).toFloatArray()), 1e-6, key);
                float sign = key.endsWith("lora_B.weight") ? -1f : 1f;
                float[] negated = a.get(key).add(b.get(key).mul(sign)).toFloatArray();
                assertEquals(0, maxDiff(negated, neg.get(key).toFloatArray()), 1e-6, key);
            }
        }
    }

    @Test
    void averageDeltaWSvdFactorsTheWeightedUnscaledProductAtTheNewRank() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R2);
            WeightedAdapters.averageAdapter(peft, "svd", List.of("a", "b"), null, CombineStrategy.LORA_DELTA_W_SVD,
                    true, 4);
            LoRAConfig config = (LoRAConfig) peft.adapterConfig("svd");
            assertEquals(4, config.r());
            assertEquals(4, config.loraAlpha(), "alpha kept");
            // updates() scales by alpha/r: 4/2 for the sources and 4/4 for the result, so compare
            // the result with half the plain average of the source updates
            List<Map<String, double[][]>> sources = List.of(updates(peft, "a", manager), updates(peft, "b", manager));
            Map<String, double[][]> merged = updates(peft, "svd", manager);
            for (String module : merged.keySet()) {
                double[][] expected = weightedSum(sources, new double[] {0.25, 0.25}, module,
                        merged.get(module).length, merged.get(module)[0].length);
                assertEquals(0, maxAbsDiff(expected, merged.get(module)), 1e-5, module);
            }
        }
    }

    @Test
    void badRequestsFailBeforeAnythingIsAdded() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", R2);
            peft.addAdapter("b", R3);
            peft.addAdapter("i", IA3Config.builder().attnMatrices(List.of()).build());
            WeightedMergeOptions linear = WeightedMergeOptions.of(CombinationType.LINEAR);
            assertMessage("one rank", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("a", "b"),
                    List.of(1, 1), "n", linear));
            assertMessage("needs density", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("a", "a"),
                    List.of(1, 1), "n", WeightedMergeOptions.of(CombinationType.TIES)));
            assertMessage("not LORA", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("a", "i"),
                    List.of(1, 1), "n", WeightedMergeOptions.of(CombinationType.CAT)));
            assertMessage("2 weights for 1", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("a"),
                    List.of(1, 1), "n", linear));
            assertMessage("already exists", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("a"),
                    List.of(1), "b", linear));
            assertMessage("no adapter named 'zz'", () -> WeightedAdapters.addWeightedAdapter(peft, List.of("zz"),
                    List.of(1), "n", linear));
            assertMessage("different configs", () -> WeightedAdapters.averageAdapter(peft, "n", List.of("a", "b"),
                    null, CombineStrategy.LINEAR, true, null));
            assertMessage("needs svd_rank", () -> WeightedAdapters.averageAdapter(peft, "n", List.of("a", "a"),
                    null, CombineStrategy.LORA_DELTA_W_SVD, true, null));
            assertMessage("density must be in [0, 1]", () -> WeightedMergeOptions.of(CombinationType.TIES).density(2));
            assertEquals(List.of("a", "b", "i"), List.copyOf(peft.adapters()));
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}

package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.merging.CombinationType;
import io.github.djladapters.runtime.merging.MajoritySignMethod;
import io.github.djladapters.runtime.merging.WeightedAdapters;
import io.github.djladapters.runtime.merging.WeightedMergeOptions;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PEFT's {@code add_weighted_adapter} results ({@code fixtures/weighted-merge}, made by
 * {@code generate.py} there) against ours, from the same source adapters loaded from PEFT's files:
 * factor-wise types tensor by tensor, SVD types by their update {@code B A} (the factors' signs are
 * not unique), and SVD at lower rank within PEFT's best rank-k error as well.
 */
class PeftWeightedMergeFixtureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() throws Exception {
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode c : JSON.readTree(dir().resolve("cases.json").toFile())) {
            cases.add(Arguments.of(c.get("model").asText() + " " + c.get("name").asText(), c));
        }
        return cases.stream();
    }

    private static Path dir() throws Exception {
        return Path.of(PeftWeightedMergeFixtureTest.class.getResource("/fixtures/weighted-merge/cases.json").toURI())
                .getParent();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ourCombinationMatchesPeft(String label, JsonNode c) throws Exception {
        Path dir = dir();
        String modelName = c.get("model").asText();
        String name = c.get("name").asText();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path base = dir.resolveSibling(modelName).resolve("base");
            CausalLanguageModel model = modelName.startsWith("gpt2") ? GPT2Models.fromCheckpoint(base, manager)
                    : LlamaModels.fromCheckpoint(base, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            List<String> sources = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            c.get("adapters").forEach(a -> sources.add(a.asText()));
            c.get("weights").forEach(w -> weights.add(w.asDouble()));
            for (String source : sources) {
                adapters.loadAdapter(dir.resolve("sources").resolve(modelName).resolve(source), source);
            }
            CombinationType type = CombinationType.ofPeftName(c.get("combination_type").asText());
            WeightedMergeOptions options = WeightedMergeOptions.of(type);
            if (c.has("svd_rank")) {
                options = options.svdRank(c.get("svd_rank").asInt());
            }
            if (c.has("density")) {
                options = options.density(c.get("density").asDouble());
            }
            if (c.has("majority_sign_method")) {
                options = options.majoritySignMethod(
                        MajoritySignMethod.valueOf(c.get("majority_sign_method").asText().toUpperCase()));
            }
            WeightedAdapters.addWeightedAdapter(adapters, sources, weights, name,
                    "ia3".equals(c.get("method").asText()) ? null : options);

            Map<String, float[]> peft = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("results").resolve(modelName)
                    .resolve(name + ".safetensors"))) {
                for (String key : file.tensors().keySet()) {
                    FloatBuffer buffer = file.readFloat32(key).asFloatBuffer();
                    float[] values = new float[buffer.remaining()];
                    buffer.get(values);
                    peft.put(key, values);
                    shapes.put(key, file.tensors().get(key).shape().getShape());
                }
            }
            Map<String, NDArray> ours = adapters.adapterTensors(name, manager);
            assertEquals(new java.util.TreeSet<>(peft.keySet()), new java.util.TreeSet<>(ours.keySet()), "keys");
            for (String key : peft.keySet()) {
                assertEquals(java.util.Arrays.toString(shapes.get(key)),
                        java.util.Arrays.toString(ours.get(key).getShape().getShape()), key);
            }
            boolean svd = type.svd() && sources.size() > 1;
            double worst = 0;
            for (String key : peft.keySet()) {
                if (!svd) {
                    worst = Math.max(worst, maxDiff(peft.get(key), ours.get(key).toFloatArray()));
                } else if (key.endsWith("lora_A.weight")) {
                    String module = key.substring(0, key.length() - "lora_A.weight".length());
                    long[] b = shapes.get(module + "lora_B.weight");
                    long[] a = shapes.get(key);
                    float[] peftUpdate = product(peft.get(module + "lora_B.weight"), peft.get(key), b, a);
                    float[] ourUpdate = ours.get(module + "lora_B.weight").matMul(ours.get(key)).toFloatArray();
                    worst = Math.max(worst, maxDiff(peftUpdate, ourUpdate));
                }
            }
            System.out.println("weighted merge " + label + ": max abs diff vs PEFT " + worst);
            assertTrue(worst < (svd ? 1e-4 : 1e-5), label + " differs from PEFT by " + worst);
            if (c.has("rank_k_error_bound") && sources.size() > 1) {
                checkRankBound(adapters, sources, weights, name, c.get("rank_k_error_bound"), manager);
            }
        }
    }

    /** Our rank-k update is no farther from the exact weighted sum than the best rank-k one. */
    private static void checkRankBound(AdapterModel<?> adapters, List<String> sources, List<Double> weights,
            String name, JsonNode bounds, NDManager manager) {
        Map<String, NDArray> ours = adapters.adapterTensors(name, manager);
        List<Map<String, NDArray>> sourceTensors = new ArrayList<>();
        for (String source : sources) {
            sourceTensors.add(adapters.adapterTensors(source, manager));
        }
        bounds.fieldNames().forEachRemaining(module -> {
            String prefix = "base_model.model." + module + ".";
            NDArray exact = null;
            for (int i = 0; i < sources.size(); i++) {
                NDArray a = sourceTensors.get(i).get(prefix + "lora_A.weight");
                if (a == null) {
                    continue;
                }
                var config = (io.github.djladapters.runtime.methods.lora.LoRAConfig) adapters.adapterConfig(
                        sources.get(i));
                double scaling = config.loraAlpha() / (double) config.r();
                NDArray update = sourceTensors.get(i).get(prefix + "lora_B.weight").matMul(a)
                        .mul((float) (scaling * weights.get(i)));
                exact = exact == null ? update : exact.add(update);
            }
            NDArray approx = ours.get(prefix + "lora_B.weight").matMul(ours.get(prefix + "lora_A.weight"));
            double error = exact.sub(approx).square().sum().sqrt().getFloat();
            double bound = bounds.get(module).asDouble();
            assertTrue(error <= bound * (1 + 1e-4) + 1e-4, module + ": error " + error + " above the bound " + bound);
        });
    }

    private static float[] product(float[] b, float[] a, long[] bShape, long[] aShape) {
        int rows = (int) bShape[0];
        int rank = (int) bShape[1];
        int cols = (int) aShape[1];
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double sum = 0;
                for (int k = 0; k < rank; k++) {
                    sum += (double) b[i * rank + k] * a[k * cols + j];
                }
                out[i * cols + j] = (float) sum;
            }
        }
        return out;
    }

    private static double maxDiff(float[] x, float[] y) {
        assertEquals(x.length, y.length);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}

package io.github.djladapters.runtime.merging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import io.github.djladapters.runtime.methods.lora.LoRAWeights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * PEFT's {@code LoraModel.add_weighted_adapter}: a new LoRA adapter from weighted existing ones, on
 * every module that any of them adapts. Its config is the first adapter's with {@code r} and
 * {@code lora_alpha} both set to the new rank (scaling 1, the sources' scalings folded into the
 * factors), no rank or alpha patterns, and {@code target_modules} naming those modules.
 */
final class WeightedLoRA {

    /** One source adapter at one module. */
    private record Source(int index, Matrix a, Matrix b, double scaling) {}

    /** The new adapter's factors at one module. */
    private record Factors(Matrix a, Matrix b) {}

    private WeightedLoRA() {}

    static void add(AdapterModel<?> model, List<String> adapters, float[] weights, String name,
            WeightedMergeOptions options) {
        CombinationType type = adapters.size() == 1 ? CombinationType.LINEAR : options.combinationType();
        List<LoRAConfig> configs = configs(model, adapters);
        if (type.prunes() && options.density() == null) {
            throw new IllegalArgumentException("combination_type " + type.peftName() + " needs density");
        }
        int newRank = newRank(type, configs, options);
        RandomGenerator random = options.seed() == null ? new SplittableRandom() : new SplittableRandom(options.seed());
        Map<String, Factors> results = new LinkedHashMap<>();
        for (AdapterLayer<?> layer : model.adapterLayers()) {
            if (!(layer instanceof LoRALayer lora)) {
                continue;
            }
            List<Source> sources = sources(lora, adapters);
            if (!sources.isEmpty()) {
                results.put(layer.modulePath(), combine(layer.modulePath(), type, sources, weights, newRank, options,
                        random));
            }
        }
        LoRAConfig config = configs.get(0).toBuilder().r(newRank).loraAlpha(newRank).rankPattern(Map.of())
                .alphaPattern(Map.of()).useRslora(false).modulesToSave((List<String>) null)
                .targetModules(new TargetModules(new ArrayList<>(results.keySet()), null))
                .layersToTransform(null).layersPattern(null).leaveOut(List.of()).build();
        NewAdapter.add(model, name, config, (layer, manager) -> {
            Factors factors = results.get(layer.modulePath());
            if (factors == null) {
                throw new IllegalStateException("adapter '" + name + "' was placed on '" + layer.modulePath()
                        + "', which none of " + adapters + " adapts");
            }
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("lora_A.weight", factors.a().toArray(manager));
            tensors.put("lora_B.weight", factors.b().toArray(manager));
            return tensors;
        });
    }

    private static List<LoRAConfig> configs(AdapterModel<?> model, List<String> adapters) {
        List<LoRAConfig> configs = new ArrayList<>();
        for (String adapter : adapters) {
            if (!(model.adapterConfig(adapter) instanceof LoRAConfig config)) {
                throw new IllegalArgumentException("adapter '" + adapter + "' is " + model.adapterConfig(adapter)
                        .peftType() + ", not LORA; weighted LoRA merging combines LoRA adapters only");
            }
            if (config.useDora() || config.useGating()) {
                throw new IllegalArgumentException("adapter '" + adapter + "' uses " + (config.useDora() ? "DoRA"
                        : "gating") + ", whose output is not a sum of low-rank updates; it cannot be combined");
            }
            if (config.modulesToSave() != null && !config.modulesToSave().isEmpty()) {
                throw new IllegalArgumentException("adapter '" + adapter + "' has modules_to_save "
                        + config.modulesToSave() + "; their trained copies cannot be combined by weight");
            }
            configs.add(config);
        }
        return configs;
    }

    /** PEFT's {@code _check_add_weighted_adapter}: the rank of the new adapter. */
    private static int newRank(CombinationType type, List<LoRAConfig> configs, WeightedMergeOptions options) {
        List<Integer> ranks = new ArrayList<>();
        for (LoRAConfig config : configs) {
            int rank = config.r();
            for (int patterned : config.rankPattern().values()) {
                rank = Math.max(rank, patterned);
            }
            ranks.add(rank);
        }
        if (type.needsEqualRanks()) {
            if (ranks.stream().distinct().count() != 1) {
                throw new IllegalArgumentException("combination_type " + type.peftName() + " needs adapters of one"
                        + " rank, got ranks " + ranks + "; use cat or an svd type for different ranks");
            }
            return ranks.get(0);
        }
        if (type == CombinationType.CAT) {
            return ranks.stream().mapToInt(Integer::intValue).sum();
        }
        return options.svdRank() != null ? options.svdRank() : Collections.max(ranks);
    }

    private static List<Source> sources(LoRALayer layer, List<String> adapters) {
        List<Source> sources = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            LoRAWeights weights = layer.adapter(adapters.get(i));
            if (weights == null) {
                continue;
            }
            try (NDManager scope = weights.loraA().getArray().getManager().newSubManager()) {
                // the exported B is the effective one, zero on untargeted slices of a fused projection
                Map<String, NDArray> tensors = layer.exportTensors(adapters.get(i), scope);
                sources.add(new Source(i, Matrix.of(tensors.get("lora_A.weight")),
                        Matrix.of(tensors.get("lora_B.weight")), weights.scaling()));
            }
        }
        return sources;
    }

    private static Factors combine(String path, CombinationType type, List<Source> sources, float[] weights,
            int newRank, WeightedMergeOptions options, RandomGenerator random) {
        double density = options.density() == null ? 1 : options.density();
        if (type == CombinationType.CAT) {
            List<Matrix> as = new ArrayList<>();
            List<Matrix> bs = new ArrayList<>();
            for (Source source : sources) {
                as.add(source.a().scaled((float) (weights[source.index()] * source.scaling())));
                bs.add(source.b());
            }
            return new Factors(Matrix.stackRows(as, newRank), Matrix.stackColumns(bs, newRank));
        }
        if (type == CombinationType.SVD) {
            // sum_i w_i s_i B_i A_i is the product of the stacked factors, whose SVD is cheap
            List<Matrix> ups = new ArrayList<>();
            List<Matrix> downs = new ArrayList<>();
            int inner = 0;
            for (Source source : sources) {
                ups.add(source.b());
                downs.add(source.a().scaled((float) (weights[source.index()] * source.scaling())));
                inner += source.a().rows();
            }
            LowRankFactors factors = LowRankFactors.ofProduct(Matrix.stackColumns(ups, inner),
                    Matrix.stackRows(downs, inner), newRank, options.svdClamp());
            return new Factors(factors.a(), factors.b());
        }
        if (type.svd()) {
            // get_delta_weight applies the scaling; the weights apply to whole updates
            List<float[]> updates = new ArrayList<>();
            float[] updateWeights = new float[sources.size()];
            for (int i = 0; i < sources.size(); i++) {
                Source source = sources.get(i);
                updates.add(source.b().times(source.a()).scaled((float) source.scaling()).values());
                updateWeights[i] = weights[source.index()];
            }
            Matrix first = sources.get(0).b().times(sources.get(0).a());
            Matrix update = new Matrix(first.rows(), first.cols(), TaskArithmetic.merge(type.merge(), updates,
                    updateWeights, density, options.majoritySignMethod(), random));
            LowRankFactors factors = LowRankFactors.of(update, newRank, options.svdClamp());
            return new Factors(factors.a(), factors.b());
        }
        List<float[]> as = new ArrayList<>();
        List<float[]> bs = new ArrayList<>();
        float[] weightsA = new float[sources.size()];
        float[] weightsB = new float[sources.size()];
        for (int i = 0; i < sources.size(); i++) {
            Source source = sources.get(i);
            if (source.a().rows() != newRank) {
                throw new IllegalArgumentException("module '" + path + "' has rank " + source.a().rows()
                        + " in one adapter, not " + newRank + "; combination_type " + type.peftName()
                        + " needs one rank everywhere");
            }
            // the sign goes on A only, so that a negative weight is not applied twice
            double weighted = weights[source.index()] * source.scaling();
            weightsA[i] = (float) (Math.sqrt(Math.abs(weighted)) * (weighted >= 0 ? 1 : -1));
            weightsB[i] = (float) Math.sqrt(Math.abs(weighted));
            as.add(source.a().values());
            bs.add(source.b().values());
        }
        Matrix a0 = sources.get(0).a();
        Matrix b0 = sources.get(0).b();
        return new Factors(
                new Matrix(a0.rows(), a0.cols(), TaskArithmetic.merge(type.merge(), as, weightsA, density,
                        options.majoritySignMethod(), random)),
                new Matrix(b0.rows(), b0.cols(), TaskArithmetic.merge(type.merge(), bs, weightsB, density,
                        options.majoritySignMethod(), random)));
    }
}

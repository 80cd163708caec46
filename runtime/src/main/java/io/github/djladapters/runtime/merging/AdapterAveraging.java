package io.github.djladapters.runtime.merging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import io.github.djladapters.runtime.methods.lora.LoRAWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adapters library's {@code average_adapter}: a new adapter with the sources' common config whose
 * tensors are the weighted sum of theirs ({@code linear}), with a negative weight on B only
 * ({@code lora_linear_only_negate_b}), or, for LoRA, the SVD factors of {@code sum_i w_i B_i A_i}
 * at rank {@code svd_rank} ({@code lora_delta_w_svd}; the config's {@code r} becomes
 * {@code svd_rank} and its alpha stays, so the update is scaled by {@code alpha / svd_rank}).
 */
final class AdapterAveraging {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterAveraging.class);

    private AdapterAveraging() {}

    static void average(AdapterModel<?> model, String name, List<String> adapters, float[] weights,
            CombineStrategy strategy, Integer svdRank) {
        AdapterConfig config = commonConfig(model, adapters);
        boolean lora = config instanceof LoRAConfig;
        if (strategy != CombineStrategy.LINEAR && !lora) {
            throw new IllegalArgumentException("combine_strategy " + strategy.libraryName() + " is for LoRA adapters;"
                    + " " + adapters + " are " + config.peftType());
        }
        if (svdRank != null) {
            if (lora) {
                config = ((LoRAConfig) config).toBuilder().r(svdRank).rankPattern(Map.of()).build();
            } else {
                LOG.warn("svd_rank applies to LoRA adapters only; ignored for {}", config.peftType());
            }
        }
        if (strategy == CombineStrategy.LORA_DELTA_W_SVD) {
            if (svdRank == null) {
                throw new IllegalArgumentException("combine_strategy lora_delta_w_svd needs svd_rank");
            }
            LoRAConfig loraConfig = (LoRAConfig) config;
            if (loraConfig.useDora() || loraConfig.useGating()) {
                throw new IllegalArgumentException("combine_strategy lora_delta_w_svd keeps only B A; adapters "
                        + adapters + " also hold " + (loraConfig.useDora() ? "DoRA magnitudes" : "gates"));
            }
            averageUpdates(model, name, adapters, weights, (LoRAConfig) config, svdRank);
            return;
        }
        try (NDManager scope = model.model().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            Map<String, NDArray> sum = new LinkedHashMap<>();
            for (int i = 0; i < adapters.size(); i++) {
                for (Map.Entry<String, NDArray> entry : model.adapterTensors(adapters.get(i), scope).entrySet()) {
                    float weight = weightFor(strategy, entry.getKey(), weights[i]);
                    NDArray weighted = entry.getValue().mul(weight);
                    sum.merge(entry.getKey(), weighted, NDArray::add);
                }
            }
            model.addAdapter(name, config);
            try {
                model.loadAdapterTensors(name, sum);
            } catch (RuntimeException e) {
                model.deleteAdapter(name);
                throw e;
            }
        }
    }

    private static float weightFor(CombineStrategy strategy, String key, float weight) {
        if (strategy == CombineStrategy.LINEAR) {
            return weight;
        }
        if (key.endsWith("lora_B.weight")) {
            return weight;
        }
        if (key.endsWith("lora_A.weight")) {
            return Math.abs(weight);
        }
        throw new IllegalArgumentException("combine_strategy lora_linear_only_negate_b combines lora_A and lora_B only,"
                + " but the adapters also hold " + key);
    }

    /** The first adapter's config, after checking the others have the same up to dropout and init. */
    private static AdapterConfig commonConfig(AdapterModel<?> model, List<String> adapters) {
        AdapterConfig first = model.adapterConfig(adapters.get(0));
        for (String adapter : adapters) {
            AdapterConfig config = model.adapterConfig(adapter);
            if (!comparable(config).equals(comparable(first))) {
                throw new IllegalArgumentException("adapters '" + adapters.get(0) + "' and '" + adapter + "' have"
                        + " different configs (" + first + " and " + config + "); average_adapter needs one config,"
                        + " up to dropout and initialisation");
            }
        }
        return first;
    }

    private static AdapterConfig comparable(AdapterConfig config) {
        if (config instanceof LoRAConfig lora) {
            return lora.toBuilder().loraDropout(0).initLoraWeights(LoRAInit.DEFAULT).build();
        }
        if (config instanceof IA3Config ia3) {
            return ia3.toBuilder().initIa3Weights(true).build();
        }
        return config;
    }

    private static void averageUpdates(AdapterModel<?> model, String name, List<String> adapters, float[] weights,
            LoRAConfig config, int svdRank) {
        Map<String, LowRankFactors> results = new LinkedHashMap<>();
        for (AdapterLayer<?> layer : model.adapterLayers()) {
            if (!(layer instanceof LoRALayer lora) || !layer.adapterNames().containsAll(adapters)) {
                continue;
            }
            List<Matrix> ups = new ArrayList<>();
            List<Matrix> downs = new ArrayList<>();
            int inner = 0;
            for (int i = 0; i < adapters.size(); i++) {
                LoRAWeights source = lora.adapter(adapters.get(i));
                try (NDManager scope = source.loraA().getArray().getManager().newSubManager()) {
                    Map<String, NDArray> tensors = lora.exportTensors(adapters.get(i), scope);
                    Matrix down = Matrix.of(tensors.get("lora_A.weight"));
                    ups.add(Matrix.of(tensors.get("lora_B.weight")));
                    downs.add(down.scaled(weights[i]));
                    inner += down.rows();
                }
            }
            // sum_i w_i B_i A_i is the product of the stacked factors
            results.put(layer.modulePath(), LowRankFactors.ofProduct(Matrix.stackColumns(ups, inner),
                    Matrix.stackRows(downs, inner), svdRank, null));
        }
        NewAdapter.add(model, name, config, (layer, manager) -> {
            LowRankFactors factors = results.get(layer.modulePath());
            if (factors == null) {
                throw new IllegalStateException("module '" + layer.modulePath() + "' does not hold all of " + adapters);
            }
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("lora_A.weight", factors.a().toArray(manager));
            tensors.put("lora_B.weight", factors.b().toArray(manager));
            return tensors;
        });
    }
}

package io.github.djladapters.runtime.merging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.ia3.IA3Layer;
import io.github.djladapters.runtime.methods.ia3.IA3Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's {@code IA3Model.add_weighted_adapter}: at every module any source adapts, the new
 * {@code ia3_l} is {@code sum_i w_i l_i} over the sources present there (an absent source adds
 * nothing, as in PEFT). Feed-forward modules stay feed-forward.
 */
final class WeightedIA3 {

    private WeightedIA3() {}

    static void add(AdapterModel<?> model, List<String> adapters, float[] weights, String name) {
        IA3Config first = null;
        for (String adapter : adapters) {
            if (!(model.adapterConfig(adapter) instanceof IA3Config config)) {
                throw new IllegalArgumentException("adapter '" + adapter + "' is " + model.adapterConfig(adapter)
                        .peftType() + ", not IA3; weighted IA3 merging combines IA3 adapters only");
            }
            if (config.modulesToSave() != null && !config.modulesToSave().isEmpty()) {
                throw new IllegalArgumentException("adapter '" + adapter + "' has modules_to_save "
                        + config.modulesToSave() + "; their trained copies cannot be combined by weight");
            }
            first = first == null ? config : first;
        }
        Map<String, float[]> results = new LinkedHashMap<>();
        List<String> feedforward = new ArrayList<>();
        for (AdapterLayer<?> layer : model.adapterLayers()) {
            if (!(layer instanceof IA3Layer ia3)) {
                continue;
            }
            float[] sum = null;
            Boolean isFeedforward = null;
            for (int i = 0; i < adapters.size(); i++) {
                IA3Weights source = ia3.adapter(adapters.get(i));
                if (source == null) {
                    continue;
                }
                if (isFeedforward != null && isFeedforward != source.feedforward()) {
                    throw new IllegalArgumentException("module '" + layer.modulePath() + "' scales its input in some of "
                            + adapters + " and its output in others; such IA3 vectors cannot be combined");
                }
                isFeedforward = source.feedforward();
                float[] values;
                try (NDManager scope = source.scale().getArray().getManager().newSubManager()) {
                    values = ia3.exportTensors(adapters.get(i), scope).get("ia3_l").toFloatArray();
                }
                sum = sum == null ? new float[values.length] : sum;
                for (int j = 0; j < sum.length; j++) {
                    sum[j] += values[j] * weights[i];
                }
            }
            if (sum != null) {
                results.put(layer.modulePath(), sum);
                if (isFeedforward) {
                    feedforward.add(layer.modulePath());
                }
            }
        }
        IA3Config config = IA3Config.builder().targetModules(new TargetModules(new ArrayList<>(results.keySet()), null))
                .feedforwardModules(new TargetModules(feedforward, null)).fanInFanOut(first.fanInFanOut()).build();
        NewAdapter.add(model, name, config, (layer, manager) -> {
            float[] values = results.get(layer.modulePath());
            if (values == null) {
                throw new IllegalStateException("adapter '" + name + "' was placed on '" + layer.modulePath()
                        + "', which none of " + adapters + " adapts");
            }
            NDArray array = manager.create(values, layer.tensorShapes(name).get("ia3_l"));
            return Map.of("ia3_l", array);
        });
    }
}

package io.github.djladapters.runtime.merging;

import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.List;
import java.util.Objects;

/**
 * New adapters made from weighted existing ones: PEFT's {@code add_weighted_adapter} (LoRA with every
 * {@link CombinationType}, IA3 linearly) and the adapters library's {@code average_adapter}. The
 * result is an ordinary adapter of the model: not active until activated, trainable with
 * {@code trainAdapter}, saved in PEFT's layout and mergeable like any other. Nothing is added when a
 * check fails.
 *
 * <pre>{@code
 * WeightedAdapters.addWeightedAdapter(peft, List.of("math", "code"), List.of(0.7, 0.3), "both",
 *         WeightedMergeOptions.of(CombinationType.TIES).density(0.5));
 * WeightedAdapters.averageAdapter(peft, "avg", List.of("a", "b"), null, CombineStrategy.LINEAR, true, null);
 * }</pre>
 */
public final class WeightedAdapters {

    private WeightedAdapters() {}

    /**
     * PEFT's {@code add_weighted_adapter}. For LoRA, {@code options} picks the combination; with one
     * source adapter PEFT's rule applies and it is {@code linear}. For IA3 the combination is
     * linear: {@code sum_i w_i l_i}.
     *
     * @param model the model holding the adapters
     * @param adapters the source adapters, all LoRA or all IA3
     * @param weights one weight per source, negative ones included
     * @param name the new adapter's name
     * @param options the combination type and its parameters; for IA3, null or {@code linear}
     * @throws IllegalArgumentException for an unknown or existing name, mismatched sizes, mixed
     *     methods, DoRA, gating or {@code modules_to_save} sources, ranks the type cannot combine, or a
     *     pruning type without density
     */
    public static void addWeightedAdapter(AdapterModel<?> model, List<String> adapters, List<? extends Number> weights,
            String name, WeightedMergeOptions options) {
        float[] w = checkSources(model, adapters, weights, name);
        AdapterConfig first = model.adapterConfig(adapters.get(0));
        if (first instanceof IA3Config) {
            if (options != null && options.combinationType() != CombinationType.LINEAR) {
                throw new IllegalArgumentException("IA3 adapters combine linearly only, not by "
                        + options.combinationType().peftName());
            }
            WeightedIA3.add(model, adapters, w, name);
        } else if (first instanceof LoRAConfig) {
            WeightedLoRA.add(model, adapters, w, name, Objects.requireNonNull(options, "options"));
        } else {
            throw new IllegalArgumentException("adapter '" + adapters.get(0) + "' is " + first.peftType()
                    + "; add_weighted_adapter combines LoRA or IA3 adapters");
        }
    }

    /**
     * The adapters library's {@code average_adapter}: a new adapter with the sources' config (they
     * must agree up to dropout and initialisation) and their weighted tensors.
     *
     * @param model the model holding the adapters
     * @param name the new adapter's name
     * @param adapters the source adapters
     * @param weights one weight per source, or null for equal weights {@code 1/n}
     * @param strategy how to combine
     * @param normalizeWeights divide the weights by their sum (the library's default, true)
     * @param svdRank the rank for {@link CombineStrategy#LORA_DELTA_W_SVD}; null otherwise
     * @throws IllegalArgumentException for an unknown or existing name, mismatched sizes or configs,
     *     weights summing to zero when normalised, or a strategy the method does not support
     */
    public static void averageAdapter(AdapterModel<?> model, String name, List<String> adapters,
            List<? extends Number> weights, CombineStrategy strategy, boolean normalizeWeights, Integer svdRank) {
        Objects.requireNonNull(strategy, "combine_strategy");
        if (adapters == null || adapters.isEmpty()) {
            throw new IllegalArgumentException("no adapters to average; name at least one");
        }
        float[] w;
        if (weights == null) {
            w = new float[adapters.size()];
            java.util.Arrays.fill(w, 1f / adapters.size());
            checkSources(model, adapters, null, name);
        } else {
            w = checkSources(model, adapters, weights, name);
            if (normalizeWeights) {
                double sum = 0;
                for (Number weight : weights) {
                    sum += weight.doubleValue();
                }
                if (sum == 0) {
                    throw new IllegalArgumentException("weights " + weights + " sum to 0 and cannot be normalised");
                }
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (weights.get(i).doubleValue() / sum);
                }
            }
        }
        if (svdRank != null && svdRank <= 0) {
            throw new IllegalArgumentException("svd_rank must be positive, got " + svdRank);
        }
        AdapterAveraging.average(model, name, adapters, w, strategy, svdRank);
    }

    /** Checks names and sizes; returns the weights as floats (PyTorch's float32 tensor of them). */
    private static float[] checkSources(AdapterModel<?> model, List<String> adapters, List<? extends Number> weights,
            String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("the new adapter needs a non-empty name");
        }
        if (model.adapters().contains(name)) {
            throw new IllegalArgumentException("an adapter named '" + name + "' already exists");
        }
        if (adapters == null || adapters.isEmpty()) {
            throw new IllegalArgumentException("no adapters to combine; name at least one");
        }
        for (String adapter : adapters) {
            model.adapterConfig(adapter); // throws naming the known adapters
        }
        if (weights == null) {
            return null;
        }
        if (weights.size() != adapters.size()) {
            throw new IllegalArgumentException("got " + weights.size() + " weights for " + adapters.size()
                    + " adapters " + adapters);
        }
        float[] w = new float[weights.size()];
        for (int i = 0; i < w.length; i++) {
            double value = weights.get(i).doubleValue();
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("weight " + i + " of " + adapters.get(i) + " is " + value);
            }
            w[i] = (float) value;
        }
        return w;
    }
}

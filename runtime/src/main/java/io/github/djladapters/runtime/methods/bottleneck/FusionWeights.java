package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.methods.AdapterFusionConfig;
import io.github.djladapters.runtime.methods.AdapterWeights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One AdapterFusion layer at one site (the Adapters library's {@code BertFusion}): an attention of
 * the site's query over the fused adapters' outputs, with trained query, key and value projections
 * ({@code [hidden, hidden]}; query and key with biases, value without), initialised as the library
 * does (normal with standard deviation 0.02, zero biases, the value at the identity with 1e-6 off the
 * diagonal when {@code value_initialized}). State-dict names: {@code query.weight}, {@code query.bias},
 * {@code key.weight}, {@code key.bias}, {@code value.weight}.
 */
final class FusionWeights extends AdapterWeights {

    private final AdapterFusionConfig config;
    private final List<String> adapters;
    private final Parameter queryWeight;
    private final Parameter queryBias;
    private final Parameter keyWeight;
    private final Parameter keyBias;
    private final Parameter valueWeight;
    private double temperature;

    FusionWeights(AdapterFusionConfig config, List<String> adapters, long hidden, NDManager manager) {
        this.config = config;
        this.adapters = List.copyOf(adapters);
        Shape square = new Shape(hidden, hidden);
        queryWeight = config.query() ? newParameter("query_weight", normal(manager, square)) : null;
        queryBias = config.query() ? newParameter("query_bias", manager.zeros(new Shape(hidden))) : null;
        keyWeight = config.key() ? newParameter("key_weight", normal(manager, square)) : null;
        keyBias = config.key() ? newParameter("key_bias", manager.zeros(new Shape(hidden))) : null;
        NDArray value = null;
        if (config.value()) {
            value = config.valueInitialized()
                    ? manager.eye((int) hidden).mul(1 - 1e-6f).add(1e-6f) : normal(manager, square);
        }
        valueWeight = value == null ? null : newParameter("value_weight", value);
        temperature = config.temperature() ? 50.0 : 1.0;
    }

    private static NDArray normal(NDManager manager, Shape shape) {
        return manager.randomNormal(0, 0.02f, shape, DataType.FLOAT32);
    }

    List<String> adapters() {
        return adapters;
    }

    AdapterFusionConfig config() {
        return config;
    }

    /** The library's state-dict names below {@code adapter_fusion_layer.<name>.}, with their parameters. */
    Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        if (queryWeight != null) {
            named.put("query.weight", queryWeight);
            named.put("query.bias", queryBias);
        }
        if (keyWeight != null) {
            named.put("key.weight", keyWeight);
            named.put("key.bias", keyBias);
        }
        if (valueWeight != null) {
            named.put("value.weight", valueWeight);
        }
        return named;
    }

    /**
     * {@code BertFusion.forward(query, ups, ups, residual)}.
     *
     * @param query {@code [batch, seq, hidden]}
     * @param ups the adapters' up-projection outputs stacked on axis 2, {@code [batch, seq, n, hidden]}
     * @param residual {@code [batch, seq, hidden]}
     * @return the fused hidden states, {@code [batch, seq, hidden]}
     */
    NDArray fuse(ParameterStore store, NDArray query, NDArray ups, NDArray residual, boolean training) {
        Device device = query.getDevice();
        NDArray value = ups;
        if (config.residualBefore()) {
            value = value.add(residual.expandDims(2));
        }
        NDArray q = config.query() ? Linear.linear(query, store.getValue(queryWeight, device, training),
                store.getValue(queryBias, device, training)).head() : query;
        NDArray k = config.key() ? Linear.linear(ups, store.getValue(keyWeight, device, training),
                store.getValue(keyBias, device, training)).head() : ups;
        NDArray v = config.value() && config.valueBeforeSoftmax()
                ? Linear.linear(value, store.getValue(valueWeight, device, training)).head() : value;
        NDArray scores = q.expandDims(2).mul(k).sum(new int[] {3}); // [batch, seq, n]
        if (training && config.dropoutProb() != null && config.dropoutProb() > 0) {
            scores = Dropout.dropout(scores, config.dropoutProb().floatValue(), true).head();
        }
        NDArray probabilities = Scalars.mul(scores, 1 / temperature).softmax(-1);
        if (training) {
            temperature = Math.max(temperature - (config.temperature() ? 50.0 / 1000 : 1.0 / 1000), 1.0);
        }
        NDArray context = probabilities.expandDims(3).mul(v).sum(new int[] {2});
        if (config.value() && !config.valueBeforeSoftmax()) {
            context = Linear.linear(context, store.getValue(valueWeight, device, training)).head();
        }
        return config.residualBefore() ? context : context.add(residual);
    }
}

package io.github.djladapters.runtime.methods.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterHook;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.AdapterWeights;
import io.github.djladapters.runtime.methods.BoundModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A method written against the SPI only, for its tests: in every layer's attention, values are
 * multiplied by {@code 1 + s} with one learned scalar {@code s} (initially 0), through a hook on
 * {@link KeyValueAttention}. Tensor key: {@code base_model.model.<attention path>.value_scale}.
 */
final class ValueScaleMethod implements MethodProvider<ValueScaleMethod.Config> {

    /** The config: nothing to set. */
    record Config() implements AdapterConfig {
        @Override
        public String architecture() {
            return "value_scale";
        }
    }

    /** One adapter's scalar at one attention block. */
    static final class Weights extends AdapterWeights {
        final Parameter scale;

        Weights(NDManager manager) {
            scale = newParameter("value_scale", manager.zeros(new Shape(1)));
        }
    }

    /** The hook on one attention block. */
    static final class Hook extends AdapterHook<Weights> implements KeyValueExtension {
        private final KeyValueAttention attention;

        Hook(KeyValueAttention attention, String path, AdapterActivation activation) {
            super(path, activation);
            this.attention = attention;
        }

        @Override
        protected void installHook() {
            attention.setKeyValueExtension(this);
        }

        @Override
        protected void uninstallHook() {
            attention.setKeyValueExtension(null);
        }

        @Override
        public ExtendedKeyValues extend(NDArray query, NDArray keys, NDArray values) {
            NDArray scaled = values;
            for (AdapterUse<Weights> use : uses()) {
                NDArray s = use.adapter().scale.getArray();
                NDArray factor = use.routed() ? use.mask(4).mul(s) : s.reshape(1, 1, 1, 1);
                scaled = scaled.add(values.mul(factor));
            }
            return ExtendedKeyValues.unchanged(keys, scaled);
        }

        @Override
        public Map<String, NDArray> exportTensors(String name, NDManager manager) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            NDArray copy = adapter(name).scale.getArray().duplicate();
            copy.attach(manager);
            tensors.put("value_scale", copy);
            return tensors;
        }

        @Override
        public Map<String, Shape> tensorShapes(String name) {
            return Map.of("value_scale", new Shape(1));
        }

        @Override
        public void importTensor(String name, String suffix, NDArray value) {
            adapter(name).scale.getArray().set(value.toFloatArray());
        }
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    public String name() {
        return "value_scale";
    }

    @Override
    public AdapterMethod family() {
        return AdapterMethod.PREFIX_TUNING;
    }

    @Override
    public void validate(Config config) {}

    @Override
    public List<AdapterAttachment> attach(String name, Config config, BoundModel model, AdapterActivation activation) {
        List<AdapterAttachment> attached = new ArrayList<>();
        for (int layer = 0; layer < model.layerCount(); layer++) {
            KeyValueAttention attention = model.keyValueAttention(layer, Site.SELF_ATTENTION).orElseThrow();
            Hook hook = attention.keyValueExtension().orElse(null) instanceof Hook existing ? existing
                    : new Hook(attention, model.modulePath(layer, Site.SELF_ATTENTION), activation);
            NDManager manager = model.model().getParameters().valueAt(0).getArray().getManager();
            hook.putAdapter(name, new Weights(manager));
            attached.add(hook);
        }
        return attached;
    }
}

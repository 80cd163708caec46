package io.github.djladapters.runtime.methods.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.LayerOutputExtendingModel;
import io.github.djladapters.runtime.architecture.LayerOutputExtension;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterHook;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.AdapterWeights;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.PeftKeys;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A layer-output intervention written against the SPI alone, for its tests: each layer's output
 * is multiplied by {@code 1 + s_layer}, one learned scalar per layer (initially 0). Tensor keys:
 * {@code base_model.model.layer_scale.<layer>}.
 */
final class LayerScaleMethod implements MethodProvider<LayerScaleMethod.Config> {

    /** The config: nothing to set. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Config() implements AdapterConfig {
        @Override
        public String peftType() {
            return PEFT_TYPE;
        }

        @Override
        public String architecture() {
            return "layer_scale";
        }
    }

    /** A made-up PEFT type, so that the test can save in PEFT's layout. */
    static final String PEFT_TYPE = "TEST_LAYER_SCALE";

    /** PEFT's layout with a bare tensor key, as PEFT stores {@code prompt_embeddings}. */
    static final class Format implements PeftFormat<Config> {
        static final String OWN_KEY = "base_model.model.layer_scale";
        static final String FILE_KEY = "layer_scale";

        @Override
        public String peftType() {
            return PEFT_TYPE;
        }

        @Override
        public ObjectNode keys() {
            return PeftKeys.of(PEFT_TYPE, "\"num_layers\": null");
        }

        @Override
        public Config configToSave(Config config, BoundModel model, List<AdapterAttachment> attachments, String name) {
            return config;
        }

        @Override
        public String fileKey(String key) {
            return key.equals(OWN_KEY) ? FILE_KEY : key;
        }

        @Override
        public String internalKey(String fileKey) {
            return fileKey.equals(FILE_KEY) ? OWN_KEY : fileKey;
        }
    }

    @Override
    public Optional<PeftFormat<Config>> peftFormat() {
        return Optional.of(new Format());
    }

    /** One adapter's scalars, one per layer. */
    static final class Weights extends AdapterWeights {
        final Parameter scales;

        Weights(NDManager manager, int layers) {
            scales = newParameter("scales", manager.zeros(new Shape(layers)));
        }
    }

    /** The hook on the model's layer outputs. */
    static final class Hook extends AdapterHook<Weights> implements LayerOutputExtension {
        private final LayerOutputExtendingModel model;
        private final int layers;

        Hook(LayerOutputExtendingModel model, int layers, AdapterActivation activation) {
            super("", activation);
            this.model = model;
            this.layers = layers;
        }

        @Override
        protected void installHook() {
            model.setLayerOutputExtension(this);
        }

        @Override
        protected void uninstallHook() {
            model.setLayerOutputExtension(null);
        }

        @Override
        public NDArray extend(int layer, NDArray hidden) {
            NDArray out = hidden;
            for (AdapterUse<Weights> use : uses()) {
                NDArray s = use.adapter().scales.getArray().get(layer);
                out = out.add(use.onRows(hidden.mul(s)));
            }
            return out;
        }

        @Override
        public Map<String, NDArray> exportTensors(String name, NDManager manager) {
            NDArray copy = adapter(name).scales.getArray().duplicate();
            copy.attach(manager);
            return Map.of("layer_scale", copy);
        }

        @Override
        public Map<String, Shape> tensorShapes(String name) {
            return Map.of("layer_scale", new Shape(layers));
        }

        @Override
        public void importTensor(String name, String suffix, NDArray value) {
            adapter(name).scales.getArray().set(value.toFloatArray());
        }
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    public String name() {
        return "layer_scale";
    }

    @Override
    public AdapterMethod family() {
        return AdapterMethod.REFT;
    }

    @Override
    public void validate(Config config) {}

    @Override
    public List<AdapterAttachment> attach(String name, Config config, BoundModel model, AdapterActivation activation) {
        LayerOutputExtendingModel hooks = model.layerOutputHooks().orElseThrow(() -> new IllegalArgumentException(
                model.model().getClass().getName() + " has no layer-output hook point"));
        Hook hook = hooks.layerOutputExtension().orElse(null) instanceof Hook existing ? existing
                : new Hook(hooks, model.layerCount(), activation);
        NDManager manager = model.model().getParameters().valueAt(0).getArray().getManager();
        hook.putAdapter(name, new Weights(manager, model.layerCount()));
        return List.of(hook);
    }
}

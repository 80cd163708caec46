package io.github.djladapters.runtime.merging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import java.util.Map;
import java.util.function.BiFunction;

/** Adds an adapter and sets its tensors layer by layer, all or nothing. */
final class NewAdapter {

    private NewAdapter() {}

    /**
     * Adds {@code name} with {@code config}, then gives every layer that holds it the tensors
     * {@code values} computes for it (PEFT suffix to values); on any failure the adapter is deleted.
     */
    static void add(AdapterModel<?> model, String name, AdapterConfig config,
            BiFunction<AdapterLayer<?>, NDManager, Map<String, NDArray>> values) {
        model.addAdapter(name, config);
        // arrays go where the model's weights live, so that they are on the model's device
        try (NDManager scope = model.model().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            for (AdapterLayer<?> layer : model.adapterLayers()) {
                if (!layer.adapterNames().contains(name)) {
                    continue;
                }
                Map<String, NDArray> tensors = values.apply(layer, scope);
                Map<String, Shape> shapes = layer.tensorShapes(name);
                if (!tensors.keySet().equals(shapes.keySet())) {
                    throw new IllegalStateException("module '" + layer.modulePath() + "' of adapter '" + name
                            + "' has tensors " + shapes.keySet() + ", computed " + tensors.keySet());
                }
                tensors.forEach((suffix, value) -> {
                    if (!value.getShape().equals(shapes.get(suffix))) {
                        throw new IllegalStateException("module '" + layer.modulePath() + "': " + suffix + " of adapter '"
                                + name + "' has shape " + shapes.get(suffix) + ", computed " + value.getShape());
                    }
                });
                tensors.forEach((suffix, value) -> layer.importTensor(name, suffix, value));
            }
        } catch (RuntimeException e) {
            model.deleteAdapter(name);
            throw e;
        }
    }
}

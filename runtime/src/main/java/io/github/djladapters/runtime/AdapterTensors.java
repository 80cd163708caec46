package io.github.djladapters.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One adapter's tensors under PEFT's on-disk keys, {@code base_model.model.<module path>.<suffix>}
 * with the adapter name removed ({@code lora_A.weight}, {@code lora_B.weight},
 * {@code lora_magnitude_vector}, {@code ia3_l}): what a safetensors file of PEFT holds.
 */
final class AdapterTensors {

    /** The prefix PEFT puts before module paths in adapter files. */
    static final String PREFIX = "base_model.model.";

    private AdapterTensors() {}

    static Map<String, NDArray> export(List<AdapterAttachment> layers, String name, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (AdapterAttachment layer : layers) {
            if (layer.adapterNames().contains(name)) {
                layer.exportTensors(name, manager)
                        .forEach((suffix, value) -> tensors.put(key(layer, suffix), value));
            }
        }
        return tensors;
    }

    static Map<String, Shape> shapes(List<AdapterAttachment> layers, String name) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (AdapterAttachment layer : layers) {
            if (layer.adapterNames().contains(name)) {
                layer.tensorShapes(name).forEach((suffix, shape) -> shapes.put(key(layer, suffix), shape));
            }
        }
        return shapes;
    }

    /** Checks every key and shape first, then writes, so a bad map changes nothing. */
    static void load(List<AdapterAttachment> layers, String name, Map<String, NDArray> tensors) {
        Map<String, Shape> expected = shapes(layers, name);
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (Map.Entry<String, Shape> entry : expected.entrySet()) {
            NDArray value = tensors.get(entry.getKey());
            if (value == null) {
                missing.add(entry.getKey());
            } else if (!value.getShape().equals(entry.getValue())) {
                wrongShape.add(entry.getKey() + " has shape " + value.getShape() + ", expected " + entry.getValue());
            }
        }
        for (String key : tensors.keySet()) {
            if (!expected.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder message = new StringBuilder("tensors for adapter '" + name + "' do not fit it:");
            if (!missing.isEmpty()) {
                message.append(" missing keys ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                message.append(" unexpected keys ").append(unexpected).append(';');
            }
            if (!wrongShape.isEmpty()) {
                message.append(" wrong shapes ").append(wrongShape).append(';');
            }
            throw new IllegalArgumentException(message.append(" nothing was loaded").toString());
        }
        for (AdapterAttachment layer : layers) {
            if (layer.adapterNames().contains(name)) {
                for (String suffix : layer.tensorShapes(name).keySet()) {
                    layer.importTensor(name, suffix, tensors.get(key(layer, suffix)));
                }
            }
        }
    }

    private static String key(AdapterAttachment layer, String suffix) {
        return PREFIX + (layer.modulePath().isEmpty() ? "" : layer.modulePath() + ".") + suffix;
    }
}

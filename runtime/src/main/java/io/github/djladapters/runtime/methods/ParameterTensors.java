package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Exported copies and shapes of named parameters, for attachments that save their weights as they are named. */
public final class ParameterTensors {

    private ParameterTensors() {}

    /**
     * Copies of the parameters' values, in the given order, under {@code prefix + name}.
     *
     * @param parameters the parameters by name
     * @param prefix what goes before each name ({@code ""} for none)
     * @param manager the manager the copies belong to
     * @return the copies by prefixed name
     */
    public static Map<String, NDArray> copies(Map<String, Parameter> parameters, String prefix, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        parameters.forEach((key, parameter) -> {
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(manager);
            tensors.put(prefix + key, copy);
        });
        return tensors;
    }

    /**
     * The parameters' shapes, in the given order, under {@code prefix + name}.
     *
     * @param parameters the parameters by name
     * @param prefix what goes before each name ({@code ""} for none)
     * @return the shapes by prefixed name
     */
    public static Map<String, Shape> shapes(Map<String, Parameter> parameters, String prefix) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        parameters.forEach((key, parameter) -> shapes.put(prefix + key, parameter.getArray().getShape()));
        return shapes;
    }
}

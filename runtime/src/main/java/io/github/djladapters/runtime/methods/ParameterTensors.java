package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.engine.ArrayValues;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exported copies, shapes and loaded values of named parameters, for attachments that save their
 * weights as they are named.
 */
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

    /**
     * Gives the parameter named {@code name} new values, as {@link #overwrite(Parameter, NDArray)}.
     *
     * @param parameters the parameters by name
     * @param name the tensor's name among them
     * @param value the new values, same shape
     * @param owner what holds the parameters, for the message, such as {@code adapter 'a' at 'layers.0'}
     * @throws IllegalArgumentException naming the owner and the names it has when none is called {@code name}
     */
    public static void overwrite(Map<String, Parameter> parameters, String name, NDArray value, String owner) {
        Parameter parameter = parameters.get(name);
        if (parameter == null) {
            throw new IllegalArgumentException(owner + " has no tensor '" + name + "'; it has " + parameters.keySet());
        }
        overwrite(parameter, value);
    }

    /**
     * Gives a parameter new values: its array takes over a private copy of {@code value}'s tensor
     * (DJL's {@code intern}), so the caller may close {@code value} and nothing shares memory with
     * a temporary buffer; trainability is kept.
     *
     * @param parameter a base or adapter parameter
     * @param value the new values, same shape
     * @throws IllegalArgumentException when the shapes differ
     */
    public static void overwrite(Parameter parameter, NDArray value) {
        if (!parameter.getArray().getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("parameter " + parameter.getName() + " has shape "
                    + parameter.getArray().getShape() + ", not " + value.getShape());
        }
        ArrayValues.replace(parameter.getArray(), value);
        parameter.getArray().setRequiresGradient(parameter.requiresGradient());
    }
}

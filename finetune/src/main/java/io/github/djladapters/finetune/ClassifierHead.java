package io.github.djladapters.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The sequence-classification head trained next to an adapter: one linear layer from the pooled
 * text vector to one logit per label. PEFT keeps such a head in {@code modules_to_save}; it is
 * saved here in its own small safetensors file under PEFT's key names
 * ({@value #WEIGHT_KEY}, {@value #BIAS_KEY}), with the label names in the file's metadata.
 */
public final class ClassifierHead {

    /** PEFT's key of the head's weight {@code [labels, hidden]}. */
    public static final String WEIGHT_KEY = "base_model.model.classifier.weight";
    /** PEFT's key of the head's bias {@code [labels]}. */
    public static final String BIAS_KEY = "base_model.model.classifier.bias";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Linear linear;
    private final List<String> labels;

    private ClassifierHead(Linear linear, List<String> labels) {
        this.linear = linear;
        this.labels = List.copyOf(labels);
    }

    /**
     * A head with fresh random weights (Xavier, from the engine's random seed).
     *
     * @param labels the class names; index i is class id i
     * @param hiddenSize the width of the pooled vector
     * @param manager owns the parameters
     * @return the head
     */
    public static ClassifierHead create(List<String> labels, int hiddenSize, NDManager manager) {
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least two labels, got " + labels);
        }
        Linear linear = Linear.builder().setUnits(labels.size()).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, hiddenSize));
        return new ClassifierHead(linear, labels);
    }

    /**
     * Reads a head written by {@link #save}.
     *
     * @param file the safetensors file
     * @param manager owns the parameters
     * @return the head with the saved weights and labels
     * @throws IOException when the file is missing, malformed or lacks a key
     */
    public static ClassifierHead load(Path file, NDManager manager) throws IOException {
        try (SafetensorsFile tensors = SafetensorsFile.open(file)) {
            String names = tensors.metadata().get("labels");
            if (names == null || !tensors.tensors().containsKey(WEIGHT_KEY) || !tensors.tensors().containsKey(BIAS_KEY)) {
                throw new IOException(file + ": not a classifier head (needs " + WEIGHT_KEY + ", " + BIAS_KEY
                        + " and the labels in the metadata)");
            }
            List<String> labels = JSON.readValue(names, new TypeReference<List<String>>() {});
            Shape shape = tensors.tensors().get(WEIGHT_KEY).shape();
            ClassifierHead head = create(labels, (int) shape.get(1), manager);
            List<Parameter> parameters = head.parameters();
            ArrayValues.replace(parameters.get(0).getArray(), tensors.readFloat32(WEIGHT_KEY));
            ArrayValues.replace(parameters.get(1).getArray(), tensors.readFloat32(BIAS_KEY));
            return head;
        }
    }

    /**
     * Writes the weights under PEFT's keys and the labels as metadata.
     *
     * @param file the safetensors file to create or replace
     * @throws IOException when writing fails
     */
    public void save(Path file) throws IOException {
        List<Parameter> parameters = parameters();
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("labels", JSON.writeValueAsString(labels))
                .addArray(WEIGHT_KEY, parameters.get(0).getArray())
                .addArray(BIAS_KEY, parameters.get(1).getArray())
                .write(file);
    }

    /**
     * Computes logits.
     *
     * @param store the parameter store of this forward pass
     * @param pooled the pooled text vectors {@code [B, hidden]}
     * @param training whether gradients are being recorded
     * @return logits {@code [B, labels]}
     */
    public NDArray forward(ParameterStore store, NDArray pooled, boolean training) {
        return linear.forward(store, new NDList(pooled), training).head();
    }

    /**
     * The weight, then the bias.
     *
     * @return the head's two parameters
     */
    public List<Parameter> parameters() {
        Parameter weight = linear.getParameters().get("weight");
        Parameter bias = linear.getParameters().get("bias");
        return List.of(weight, bias);
    }

    /**
     * The class names, in class-id order.
     *
     * @return the labels
     */
    public List<String> labels() {
        return labels;
    }

    /**
     * The number of weights and biases.
     *
     * @return the parameter count
     */
    public long parameterCount() {
        return parameters().stream().mapToLong(p -> p.getArray().size()).sum();
    }
}

package io.github.djladapters.runtime.safetensors;

import ai.djl.ndarray.types.Shape;

/**
 * The name, element type and shape of one tensor in a checkpoint, known before any data is read.
 *
 * @param name the tensor's key, such as {@code encoder.layer.0.attention.self.query.weight}
 * @param dtype its element type
 * @param shape its shape
 * @param origin where it is stored, for messages (a file name)
 */
public record TensorInfo(String name, TensorDType dtype, Shape shape, String origin) {

    /**
     * The number of elements.
     *
     * @return the product of the dimensions (1 for a scalar)
     */
    public long elementCount() {
        return shape.size();
    }
}

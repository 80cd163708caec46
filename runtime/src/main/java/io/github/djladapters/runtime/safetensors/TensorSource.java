package io.github.djladapters.runtime.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A set of named tensors whose names, types and shapes are known up front and whose values are read
 * one tensor at a time: a safetensors file, a sharded checkpoint, or the initializers of an ONNX
 * file. Loaders check {@link #tensors()} against a model before they read anything.
 */
public interface TensorSource extends AutoCloseable {

    /**
     * Every tensor, by name, in file order.
     *
     * @return unmodifiable name to description
     */
    Map<String, TensorInfo> tensors();

    /**
     * Reads one floating tensor widened to float32.
     *
     * @param name a key of {@link #tensors()}
     * @return a new direct buffer in native byte order, positioned at 0, holding
     *     {@code elementCount * 4} bytes
     * @throws IOException when the data cannot be read
     * @throws IllegalArgumentException for an unknown name or a type that is not floating
     */
    ByteBuffer readFloat32(String name) throws IOException;

    /**
     * The entry of a tensor that {@link #readFloat32} may read: one that {@link #tensors()} holds, of a
     * floating type. Sources call it before reading any byte.
     *
     * <pre>{@code
     * TensorInfo info = floatingTensor(name);
     * return info.dtype().toFloat32(bytesOf(name), info.elementCount());
     * }</pre>
     *
     * @param name the tensor's name
     * @return its entry
     * @throws IllegalArgumentException naming {@link #describe()} and the tensor, for an unknown name or a
     *     type that is not floating
     */
    default TensorInfo floatingTensor(String name) {
        TensorInfo info = tensors().get(name);
        if (info == null) {
            throw new IllegalArgumentException(describe() + ": no tensor '" + name + "'");
        }
        if (!info.dtype().isFloating()) {
            throw new IllegalArgumentException(describe() + ": tensor '" + name + "' has dtype " + info.dtype()
                    + ", which cannot be loaded into float parameters");
        }
        return info;
    }

    /**
     * What this source reads, for messages (a file or directory).
     *
     * @return a description such as a path
     */
    String describe();

    @Override
    void close() throws IOException;
}

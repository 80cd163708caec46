package io.github.djladapters.runtime.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tensors in the safetensors layout that {@link SafetensorsFile} reads and Hugging Face
 * writes: tensors in the order they were added, data contiguous, header padded with spaces so the
 * data starts on an 8-byte boundary, optional {@code __metadata__}.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .addFloats("classifier.weight", new Shape(2, 4), values, TensorDType.BF16)
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Pending> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /**
     * Adds one entry to {@code __metadata__}.
     *
     * @param key the key
     * @param value the value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor from raw little-endian bytes.
     *
     * @param name the key
     * @param dtype the element type of {@code bytes}
     * @param shape the shape
     * @param bytes exactly {@code shape.size() * dtype.byteSize()} bytes; not consumed
     * @return this writer
     * @throws IllegalArgumentException when the byte count does not match or the name repeats
     */
    public SafetensorsWriter add(String name, TensorDType dtype, Shape shape, ByteBuffer bytes) {
        long expected = shape.size() * dtype.byteSize();
        if (bytes.remaining() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + shape + " x " + dtype
                    + " needs " + expected + " bytes, got " + bytes.remaining());
        }
        if (tensors.putIfAbsent(name, new Pending(dtype, shape, bytes.duplicate())) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        return this;
    }

    /**
     * Adds float values, encoded as {@code dtype} (F32, F16, BF16 or F64).
     *
     * @param name the key
     * @param shape the shape; its size must equal {@code values.length}
     * @param values the values, row-major
     * @param dtype the type to store them as
     * @return this writer
     */
    public SafetensorsWriter addFloats(String name, Shape shape, float[] values, TensorDType dtype) {
        if (shape.size() != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + shape + " holds "
                    + shape.size() + " values, got " + values.length);
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32:
                    bytes.putFloat(v);
                    break;
                case F16:
                    bytes.putShort(FloatEncodings.floatToHalf(v));
                    break;
                case BF16:
                    bytes.putShort(FloatEncodings.floatToBfloat16(v));
                    break;
                case F64:
                    bytes.putDouble(v);
                    break;
                default:
                    throw new IllegalArgumentException("cannot store floats as " + dtype);
            }
        }
        return add(name, dtype, shape, bytes.flip());
    }

    /**
     * Adds a float32 array's values as F32.
     *
     * @param name the key
     * @param array a float32 array
     * @return this writer
     */
    public SafetensorsWriter addArray(String name, NDArray array) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("tensor '" + name + "': only float32 arrays are written, got "
                    + array.getDataType());
        }
        ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return add(name, TensorDType.F32, array.getShape(), bytes);
    }

    /**
     * Writes the file, replacing any file at {@code path}.
     *
     * @param path the target
     * @throws IOException when writing fails
     */
    public void write(Path path) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Pending> entry : tensors.entrySet()) {
            Pending tensor = entry.getValue();
            ObjectNode node = header.putObject(entry.getKey());
            node.put("dtype", tensor.dtype.name());
            ArrayNode shape = node.putArray("shape");
            for (long dim : tensor.shape.getShape()) {
                shape.add(dim);
            }
            long end = offset + tensor.bytes.remaining();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, prefix.flip());
            for (Pending tensor : tensors.values()) {
                writeFully(out, tensor.bytes.duplicate());
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    private record Pending(TensorDType dtype, Shape shape, ByteBuffer bytes) {}
}

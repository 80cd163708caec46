package io.github.djladapters.runtime.safetensors;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's {@code dtype}, {@code shape} and {@code data_offsets} relative to the data area, then the
 * raw little-endian data. {@link #open} validates the whole header before any tensor is read: the
 * header length lies within the file, the JSON parses, every dtype is known, every range lies inside
 * the data area, no two ranges overlap, and every range is exactly {@code shape x dtype size} bytes.
 * Tensor data is memory-mapped, not copied onto the heap.
 *
 * <pre>{@code
 * try (SafetensorsFile file = SafetensorsFile.open(Path.of("model.safetensors"))) {
 *     ByteBuffer weight = file.readFloat32("embeddings.word_embeddings.weight");
 * }
 * }</pre>
 */
public final class SafetensorsFile implements TensorSource {

    /** The largest header accepted, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Duplicate keys are an error (a header with a key twice would otherwise load the last one silently). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, long[]> ranges;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, long[]> ranges, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.ranges = ranges;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @param path the file
     * @return the open file; close it to release the channel
     * @throws CheckpointException naming the file and the first problem found in its header
     * @throws IOException when the file cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return read(path, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static SafetensorsFile read(Path path, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(path + ": truncated safetensors file: " + size
                    + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength <= 0 || headerLength > size - 8) {
            throw new CheckpointException(path + ": safetensors header length " + headerLength
                    + " does not fit in the file of " + size + " bytes (truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(path + ": safetensors header of " + headerLength
                    + " bytes exceeds the limit of " + MAX_HEADER_BYTES);
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(channel, header, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CheckpointException(path + ": safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(path + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, long[]> ranges = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equals("__metadata__")) {
                readMetadata(path, entry.getValue(), metadata);
                continue;
            }
            String key = entry.getKey();
            TensorEntry tensor = TensorEntry.parse(path, key, entry.getValue(), dataLength);
            tensors.put(key, new TensorInfo(key, tensor.dtype, tensor.shape, path.getFileName().toString()));
            ranges.put(key, new long[] {tensor.begin, tensor.end});
        }
        checkNoOverlap(path, ranges);
        return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                ranges, Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> into) throws CheckpointException {
        if (!node.isObject()) {
            throw new CheckpointException(path + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new CheckpointException(path + ": __metadata__ value of '" + entry.getKey()
                        + "' is not a string");
            }
            into.put(entry.getKey(), entry.getValue().asText());
        }
    }

    private static void checkNoOverlap(Path path, Map<String, long[]> ranges) throws CheckpointException {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(ranges.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0])
                .thenComparingLong(e -> e.getValue()[1]));
        Map.Entry<String, long[]> previous = null;
        for (Map.Entry<String, long[]> current : sorted) {
            long[] range = current.getValue();
            if (range[0] == range[1]) {
                continue; // empty tensors occupy no bytes
            }
            if (previous != null && range[0] < previous.getValue()[1]) {
                throw new CheckpointException(path + ": data of tensor '" + current.getKey() + "' ["
                        + range[0] + ", " + range[1] + ") overlaps tensor '" + previous.getKey() + "' ["
                        + previous.getValue()[0] + ", " + previous.getValue()[1] + ")");
            }
            previous = current;
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new CheckpointException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The string map stored under {@code __metadata__}, such as {@code {"format": "pt"}}.
     *
     * @return unmodifiable metadata, empty when absent
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The raw little-endian bytes of one tensor, memory-mapped read-only.
     *
     * @param name a tensor name
     * @return a read-only buffer over the file, in little-endian order
     * @throws IOException when mapping fails
     */
    public ByteBuffer rawBytes(String name) throws IOException {
        long[] range = ranges.get(name);
        if (range == null) {
            throw new IllegalArgumentException(path + ": no tensor '" + name + "'");
        }
        long length = range[1] - range[0];
        if (length > Integer.MAX_VALUE) {
            throw new CheckpointException(path + ": tensor '" + name + "' has " + length
                    + " bytes, more than one buffer can map");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + range[0], length)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public ByteBuffer readFloat32(String name) throws IOException {
        TensorInfo info = floatingTensor(name);
        return info.dtype().toFloat32(rawBytes(name), info.elementCount());
    }

    @Override
    public String describe() {
        return path.toString();
    }

    /**
     * The file this reads.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** One validated header entry. */
    private record TensorEntry(TensorDType dtype, Shape shape, long begin, long end) {

        static TensorEntry parse(Path path, String key, JsonNode node, long dataLength) throws CheckpointException {
            String where = path + ": tensor '" + key + "'";
            if (!node.isObject()) {
                throw new CheckpointException(where + ": header entry is not a JSON object");
            }
            JsonNode dtypeNode = node.get("dtype");
            if (dtypeNode == null || !dtypeNode.isTextual()) {
                throw new CheckpointException(where + ": missing dtype");
            }
            TensorDType dtype;
            try {
                dtype = TensorDType.fromName(dtypeNode.asText());
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(where + ": " + e.getMessage(), e);
            }
            JsonNode shapeNode = node.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) {
                throw new CheckpointException(where + ": missing shape array");
            }
            long[] dims = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < dims.length; i++) {
                JsonNode dim = shapeNode.get(i);
                if (!dim.canConvertToLong() || !dim.isIntegralNumber() || dim.asLong() < 0) {
                    throw new CheckpointException(where + ": shape " + shapeNode + " has an invalid dimension");
                }
                dims[i] = dim.asLong();
                try {
                    elements = Math.multiplyExact(elements, dims[i]);
                } catch (ArithmeticException e) {
                    throw new CheckpointException(where + ": shape " + shapeNode + " has more elements than a long"
                            + " can count", e);
                }
            }
            JsonNode offsets = node.get("data_offsets");
            if (offsets == null || !offsets.isArray() || offsets.size() != 2
                    || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
                throw new CheckpointException(where + ": data_offsets must be [begin, end]");
            }
            long begin = offsets.get(0).asLong();
            long end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > dataLength) {
                throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end
                        + "] lie outside the data area of " + dataLength + " bytes (truncated file?)");
            }
            if (elements > Long.MAX_VALUE / dtype.byteSize()) {
                throw new CheckpointException(where + ": shape " + shapeNode + " x " + dtype + " has more bytes than a"
                        + " long can count");
            }
            long expected = elements * dtype.byteSize();
            if (end - begin != expected) {
                throw new CheckpointException(where + ": shape " + shapeNode + " x " + dtype + " needs "
                        + expected + " bytes but data_offsets span " + (end - begin));
            }
            return new TensorEntry(dtype, new Shape(dims), begin, end);
        }
    }
}

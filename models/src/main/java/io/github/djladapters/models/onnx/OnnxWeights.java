package io.github.djladapters.models.onnx;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.models.checkpoint.IndexedTensorSource;
import io.github.djladapters.models.onnx.OnnxGraphReader.Graph;
import io.github.djladapters.models.onnx.OnnxGraphReader.Initializer;
import io.github.djladapters.models.onnx.OnnxGraphReader.Node;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a BERT-family ONNX export, as a {@link TensorSource} with Hugging Face names.
 * Named initializers keep their names ({@code encoder.layer.3.attention.self.query.bias}); the
 * anonymous linear weights ({@code onnx::MatMul_1234}, stored transposed as {@code [in, out]}) are
 * named after the bias that the following {@code Add} node adds ({@code .bias} becomes
 * {@code .weight}) and are transposed back to {@code [out, in]} when read. The file is memory-mapped;
 * tensor bytes are copied only into the buffers that {@link #readFloat32} returns.
 *
 * <pre>{@code
 * try (OnnxWeights weights = OnnxWeights.open(Path.of("model.onnx"))) {
 *     new CheckpointLoader().load(model, weights);
 * }
 * }</pre>
 */
public final class OnnxWeights extends IndexedTensorSource {

    private final MappedByteBuffer file;
    private final Path deleteOnClose;
    private final Map<String, Initializer> initializerOf;
    private final Map<String, Boolean> transposed;

    private OnnxWeights(String origin, MappedByteBuffer file, Path deleteOnClose, Map<String, TensorInfo> tensors,
            Map<String, Initializer> initializerOf, Map<String, Boolean> transposed) {
        super(origin, tensors);
        this.file = file;
        this.deleteOnClose = deleteOnClose;
        this.initializerOf = initializerOf;
        this.transposed = transposed;
    }

    /**
     * Maps and indexes an ONNX file.
     *
     * @param path the .onnx file (weights inside it, not in external data files)
     * @return the weights; close when loaded
     * @throws CheckpointException when the file is not a readable ONNX model
     * @throws IOException when it cannot be read
     */
    public static OnnxWeights open(Path path) throws IOException {
        return open(path, null);
    }

    /**
     * Copies an ONNX model from a stream (such as a class-path resource inside a jar) to a temporary
     * file, in small chunks, and maps it; the file is deleted on {@link #close()}.
     *
     * @param stream the model bytes; read to the end, not closed
     * @param origin a name for messages, such as the resource path
     * @return the weights
     * @throws IOException when reading or writing fails
     */
    public static OnnxWeights open(InputStream stream, String origin) throws IOException {
        Path temp = Files.createTempFile("djl-adapters-", ".onnx");
        try {
            Files.copy(stream, temp, StandardCopyOption.REPLACE_EXISTING);
            return open(temp, origin);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    private static OnnxWeights open(Path path, String streamOrigin) throws IOException {
        String origin = streamOrigin == null ? path.toString() : streamOrigin;
        MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE) {
                throw new CheckpointException(origin + ": ONNX files over 2 GiB keep weights as external data,"
                        + " which is not read");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        Graph graph = OnnxGraphReader.read(mapped, origin);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, Initializer> initializerOf = new HashMap<>();
        Map<String, Boolean> transposed = new HashMap<>();
        Map<String, String> linearWeightNames = linearWeightNames(graph);
        for (Initializer init : graph.initializers()) {
            if (init.dtype() == null) {
                continue; // strings and other types are never weights
            }
            if (init.external()) {
                throw new CheckpointException(origin + ": initializer '" + init.name()
                        + "' keeps its data in an external file, which is not read");
            }
            long bytes = new Shape(init.dims()).size() * init.dtype().byteSize();
            if (init.offset() < 0 ? bytes != 0 : init.length() != bytes) {
                throw new CheckpointException(origin + ": initializer '" + init.name() + "' has dims "
                        + new Shape(init.dims()) + " of " + init.dtype() + " (" + bytes + " bytes) but stores "
                        + init.length() + " bytes");
            }
            String name = linearWeightNames.getOrDefault(init.name(), init.name());
            boolean flip = !name.equals(init.name());
            Shape shape = flip ? new Shape(init.dims()[1], init.dims()[0]) : new Shape(init.dims());
            tensors.put(name, new TensorInfo(name, init.dtype(), shape, origin));
            initializerOf.put(name, init);
            transposed.put(name, flip);
        }
        return new OnnxWeights(origin, mapped, streamOrigin == null ? null : path,
                Collections.unmodifiableMap(tensors), initializerOf, transposed);
    }

    /** Anonymous initializer fed into a MatMul whose output an Add adds a named {@code .bias} to. */
    private static Map<String, String> linearWeightNames(Graph graph) {
        Map<String, Initializer> byName = new HashMap<>();
        for (Initializer init : graph.initializers()) {
            byName.put(init.name(), init);
        }
        Map<String, Node> addByInput = new HashMap<>();
        for (Node node : graph.nodes()) {
            if (node.opType().equals("Add")) {
                for (String input : node.inputs()) {
                    addByInput.put(input, node);
                }
            }
        }
        Map<String, String> names = new HashMap<>();
        for (Node node : graph.nodes()) {
            if (!node.opType().equals("MatMul") || node.inputs().size() != 2 || node.outputs().isEmpty()) {
                continue;
            }
            String weight = node.inputs().get(1);
            Initializer init = byName.get(weight);
            Node add = addByInput.get(node.outputs().get(0));
            if (init == null || init.dims().length != 2 || weight.endsWith(".weight") || add == null) {
                continue;
            }
            for (String input : add.inputs()) {
                String renamed = input.endsWith(".bias")
                        ? input.substring(0, input.length() - "bias".length()) + "weight"
                        : null;
                if (renamed != null && byName.containsKey(input) && !byName.containsKey(renamed)) {
                    names.put(weight, renamed);
                }
            }
        }
        return names;
    }

    @Override
    protected ByteBuffer read(String name, TensorInfo info) {
        Initializer init = initializerOf.get(name);
        ByteBuffer raw = init.offset() < 0
                ? ByteBuffer.allocate(0)
                : file.slice((int) init.offset(), (int) init.length()).order(ByteOrder.LITTLE_ENDIAN);
        if (!transposed.get(name)) {
            return info.dtype().toFloat32(raw, info.elementCount());
        }
        int rows = (int) init.dims()[0];
        int cols = (int) init.dims()[1];
        ByteBuffer widened = info.dtype() == TensorDType.F32 ? raw : info.dtype().toFloat32(raw, info.elementCount());
        return transpose(widened, rows, cols);
    }

    /** {@code [rows, cols]} float32 to a new direct {@code [cols, rows]} buffer in native order. */
    private static ByteBuffer transpose(ByteBuffer source, int rows, int cols) {
        FloatBuffer in = source.asFloatBuffer();
        ByteBuffer out = ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.nativeOrder());
        FloatBuffer target = out.asFloatBuffer();
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                target.put(in.get(r * cols + c));
            }
        }
        return out.rewind();
    }

    /**
     * The names of the initializers that were renamed from anonymous MatMul weights.
     *
     * @return Hugging Face names of transposed weights
     */
    public List<String> transposedWeights() {
        return transposed.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).sorted().toList();
    }

    @Override
    public void close() throws IOException {
        if (deleteOnClose != null) {
            Files.deleteIfExists(deleteOnClose);
        }
    }
}

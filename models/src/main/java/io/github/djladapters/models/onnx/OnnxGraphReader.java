package io.github.djladapters.models.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the parts of an ONNX {@code ModelProto} that weight import needs, straight from a (mapped)
 * buffer with protobuf's {@link CodedInputStream} and without copying tensor data: the graph's nodes
 * (inputs, outputs, op type) and its initializers (name, type, dims, and where their bytes lie).
 * Field numbers: {@code ModelProto.graph} 7; {@code GraphProto.node} 1, {@code initializer} 5;
 * {@code NodeProto.input} 1, {@code output} 2, {@code op_type} 4; {@code TensorProto.dims} 1,
 * {@code data_type} 2, {@code float_data} 4, {@code name} 8, {@code raw_data} 9,
 * {@code external_data} 13, {@code data_location} 14.
 */
final class OnnxGraphReader {

    /** One graph node. */
    record Node(String opType, List<String> inputs, List<String> outputs) {}

    /**
     * One initializer: its bytes are {@code length} bytes at {@code offset} in the file, little
     * endian; {@code dtype} is null for a type weight import does not handle.
     */
    record Initializer(String name, TensorDType dtype, int onnxType, long[] dims, long offset, long length,
            boolean external) {}

    /** What was read. */
    record Graph(List<Node> nodes, List<Initializer> initializers) {}

    private OnnxGraphReader() {}

    static Graph read(ByteBuffer file, String origin) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(file.duplicate().rewind());
        List<Node> nodes = new ArrayList<>();
        List<Initializer> initializers = new ArrayList<>();
        boolean sawGraph = false;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == 7 && isDelimited(tag)) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    readGraph(in, nodes, initializers);
                    in.popLimit(limit);
                    sawGraph = true;
                } else {
                    in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new CheckpointException(origin + ": not a valid ONNX model: " + e.getMessage(), e);
        }
        if (!sawGraph) {
            throw new CheckpointException(origin + ": ONNX model has no graph (field 7)");
        }
        return new Graph(nodes, initializers);
    }

    private static void readGraph(CodedInputStream in, List<Node> nodes, List<Initializer> initializers)
            throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 1 || field == 5) && isDelimited(tag)) {
                int limit = in.pushLimit(in.readRawVarint32());
                if (field == 1) {
                    nodes.add(readNode(in));
                } else {
                    initializers.add(readTensor(in));
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String opType = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 4 -> opType = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(opType, inputs, outputs);
    }

    private static Initializer readTensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        long offset = -1;
        long length = 0;
        boolean external = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> {
                    if (isDelimited(tag)) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) {
                            dims.add(in.readInt64());
                        }
                        in.popLimit(limit);
                    } else {
                        dims.add(in.readInt64());
                    }
                }
                case 2 -> dataType = in.readInt32();
                case 8 -> name = in.readString();
                case 4, 9 -> {
                    if (!isDelimited(tag)) {
                        throw new IOException("tensor '" + name + "': unpacked float_data is not supported");
                    }
                    length = in.readRawVarint32() & 0xffffffffL;
                    offset = in.getTotalBytesRead();
                    in.skipRawBytes((int) length);
                }
                case 13 -> {
                    external = true;
                    in.skipField(tag);
                }
                case 14 -> external |= in.readInt32() == 1;
                default -> in.skipField(tag);
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        return new Initializer(name, dtypeOf(dataType), dataType, shape, offset, length, external);
    }

    private static TensorDType dtypeOf(int onnxType) {
        return switch (onnxType) {
            case 1 -> TensorDType.F32;
            case 2 -> TensorDType.U8;
            case 3 -> TensorDType.I8;
            case 5 -> TensorDType.I16;
            case 6 -> TensorDType.I32;
            case 7 -> TensorDType.I64;
            case 9 -> TensorDType.BOOL;
            case 10 -> TensorDType.F16;
            case 11 -> TensorDType.F64;
            case 16 -> TensorDType.BF16;
            default -> null;
        };
    }

    private static boolean isDelimited(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}

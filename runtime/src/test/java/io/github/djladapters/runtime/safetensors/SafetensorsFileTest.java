package io.github.djladapters.runtime.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link SafetensorsWriter} writes, {@link SafetensorsFile} reads back; bad headers fail by name. */
class SafetensorsFileTest {

    @TempDir Path temp;

    @Test
    void valuesShapesAndMetadataSurviveInEveryFloatType() throws Exception {
        float[] values = {1f, -2.5f, 0.1f, 65504f, 3.0e-5f, -0f};
        Path file = temp.resolve("t.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .addFloats("f32", new Shape(2, 3), values, TensorDType.F32)
                .addFloats("f16", new Shape(2, 3), values, TensorDType.F16)
                .addFloats("bf16", new Shape(6), values, TensorDType.BF16)
                .write(file);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), read.metadata());
            assertEquals(new Shape(2, 3), read.tensors().get("f16").shape());
            assertEquals(TensorDType.BF16, read.tensors().get("bf16").dtype());
            float[] f32 = floats(read.readFloat32("f32"));
            float[] f16 = floats(read.readFloat32("f16"));
            float[] bf16 = floats(read.readFloat32("bf16"));
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], f32[i], 0f);
                assertEquals(values[i], f16[i], Math.abs(values[i]) * 1e-3 + 1e-7);
                assertEquals(values[i], bf16[i], Math.abs(values[i]) * 4e-3);
            }
            assertEquals(0.0999755859375f, f16[2], 0f); // nearest half to 0.1
            assertEquals(0.10009765625f, bf16[2], 0f); // nearest bfloat16 to 0.1
        }
    }

    @Test
    void sixteenBitFloatsAreWidenedAndRoundedBitwise() {
        assertEquals(1.0f, FloatEncodings.bfloat16ToFloat((short) 0x3f80), 0f);
        assertEquals(-2.0f, FloatEncodings.bfloat16ToFloat((short) 0xc000), 0f);
        assertEquals((short) 0x3f80, FloatEncodings.floatToBfloat16(1.0f));
        assertEquals((short) 0x3c00, FloatEncodings.floatToHalf(1.0f));
        assertEquals((short) 0x7c00, FloatEncodings.floatToHalf(1e6f), "overflow is infinity");
        assertEquals(0x1p-24f, FloatEncodings.halfToFloat((short) 1), 0f, "smallest subnormal");
        for (int bits = 0; bits < 0x7c00; bits += 7) { // every finite positive half survives a round trip
            assertEquals((short) bits, FloatEncodings.floatToHalf(FloatEncodings.halfToFloat((short) bits)));
        }
    }

    @Test
    void rewritingPeftsOwnFileGivesTheSameBytes() throws Exception {
        Path original = Path.of(getClass().getResource("/peft/bert-lora/adapter_model.safetensors").toURI());
        Path copy = temp.resolve("copy.safetensors");
        try (SafetensorsFile read = SafetensorsFile.open(original)) {
            SafetensorsWriter writer = new SafetensorsWriter();
            read.metadata().forEach(writer::metadata);
            for (String key : new TreeMap<>(read.tensors()).keySet()) {
                writer.add(key, TensorDType.F32, read.tensors().get(key).shape(), read.rawBytes(key));
            }
            writer.write(copy);
        }
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void truncatedFileIsRefusedNamingTheFile() throws IOException {
        Path file = temp.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertMessage(file, "truncated safetensors file");
    }

    @Test
    void headerLongerThanTheFileIsRefused() throws IOException {
        Path file = write("x", 1000, "{}");
        assertMessage(file, "header length 1000 does not fit");
    }

    @Test
    void headerThatIsNotJsonIsRefused() throws IOException {
        assertMessage(write("x", -1, "{not json"), "not valid JSON");
    }

    @Test
    void unknownDtypeIsRefusedNamingTheTensor() throws IOException {
        Path file = write("x", -1, "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertMessage(file, "tensor 'w': unknown dtype 'Q4'");
    }

    @Test
    void rangeOutsideTheDataIsRefusedNamingTheTensor() throws IOException {
        Path file = write("x", -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
        assertMessage(file, "tensor 'w': data_offsets [0, 8] lie outside");
    }

    @Test
    void rangeOfTheWrongSizeIsRefused() throws IOException {
        Path file = write("x", -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8);
        assertMessage(file, "needs 8 bytes but data_offsets span 4");
    }

    @Test
    void overlappingRangesAreRefused() throws IOException {
        Path file = write("x", -1, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertMessage(file, "overlaps tensor");
    }

    @Test
    void missingShapeIsRefused() throws IOException {
        Path file = write("x", -1, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
        assertMessage(file, "tensor 'w': missing shape");
    }

    private Path write(String name, long declaredLength, String header) throws IOException {
        return write(name, declaredLength, header, 0);
    }

    /** A file with the given header and data bytes; {@code declaredLength} -1 declares the true length. */
    private Path write(String name, long declaredLength, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(declaredLength < 0 ? json.length : declaredLength).put(json);
        Path file = temp.resolve(name + ".safetensors");
        Files.write(file, bytes.array());
        return file;
    }

    private static void assertMessage(Path file, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    private static float[] floats(ByteBuffer buffer) {
        float[] out = new float[buffer.remaining() / 4];
        buffer.asFloatBuffer().get(out);
        return out;
    }
}

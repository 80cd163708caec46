package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.FloatEncodings;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link SafetensorsWriter} writes, {@link SafetensorsFile} reads back. */
class SafetensorsRoundTripTest {

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
    void bfloat16IsWidenedBitwise() {
        assertEquals(1.0f, FloatEncodings.bfloat16ToFloat((short) 0x3f80), 0f);
        assertEquals(-2.0f, FloatEncodings.bfloat16ToFloat((short) 0xc000), 0f);
        assertEquals((short) 0x3f80, FloatEncodings.floatToBfloat16(1.0f));
    }

    private static float[] floats(ByteBuffer buffer) {
        float[] out = new float[buffer.remaining() / 4];
        buffer.asFloatBuffer().get(out);
        return out;
    }
}

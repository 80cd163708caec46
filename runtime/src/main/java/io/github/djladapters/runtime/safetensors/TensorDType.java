package io.github.djladapters.runtime.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * The element types a checkpoint file may declare, with safetensors' names. Floating types can be
 * widened to float32 in Java ({@link #toFloat32}); BF16 is widened bit-wise
 * ({@code Float.intBitsToFloat(bits << 16)}) because casting to or decoding BF16 through DJL aborts
 * the JVM on the CPU engine.
 */
public enum TensorDType {
    /** 32-bit IEEE float. */
    F32(4, true),
    /** 16-bit IEEE half float. */
    F16(2, true),
    /** bfloat16: the upper half of a float32. */
    BF16(2, true),
    /** 64-bit IEEE float. */
    F64(8, true),
    /** 64-bit signed integer. */
    I64(8, false),
    /** 32-bit signed integer. */
    I32(4, false),
    /** 16-bit signed integer. */
    I16(2, false),
    /** 8-bit signed integer. */
    I8(1, false),
    /** 8-bit unsigned integer. */
    U8(1, false),
    /** boolean, one byte each. */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    TensorDType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /**
     * Bytes per element.
     *
     * @return the element size
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether values of this type can be loaded into float parameters.
     *
     * @return true for F32, F16, BF16 and F64
     */
    public boolean isFloating() {
        return floating;
    }

    /**
     * Finds a type by its safetensors name.
     *
     * @param name such as {@code "F32"} or {@code "BF16"}
     * @return the type
     * @throws IllegalArgumentException naming the unknown type and the known ones
     */
    public static TensorDType fromName(String name) {
        for (TensorDType type : values()) {
            if (type.name().equals(name.toUpperCase(Locale.ROOT))) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'; known: F32, F16, BF16, F64, I64, I32,"
                + " I16, I8, U8, BOOL");
    }

    /**
     * Widens little-endian values of this type to a new direct float32 buffer in native (little
     * endian) byte order, ready for {@code NDArray.set}.
     *
     * @param source little-endian bytes, exactly {@code count * byteSize()} remaining; not consumed
     * @param count the number of elements
     * @return a direct buffer of {@code count * 4} bytes, positioned at 0
     * @throws IllegalStateException for a type that is not floating
     */
    public ByteBuffer toFloat32(ByteBuffer source, long count) {
        ByteBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(count * 4)).order(ByteOrder.nativeOrder());
        switch (this) {
            case F32:
                out.put(src);
                break;
            case F16:
            case BF16:
            case F64:
                FloatBuffer floats = out.asFloatBuffer();
                for (long i = 0; i < count; i++) {
                    floats.put(decode(src));
                }
                break;
            default:
                throw new IllegalStateException(this + " values cannot be loaded into float parameters");
        }
        return out.rewind();
    }

    private float decode(ByteBuffer src) {
        switch (this) {
            case F16:
                return FloatEncodings.halfToFloat(src.getShort());
            case BF16:
                return FloatEncodings.bfloat16ToFloat(src.getShort());
            case F64:
                return (float) src.getDouble();
            default:
                return src.getFloat();
        }
    }
}

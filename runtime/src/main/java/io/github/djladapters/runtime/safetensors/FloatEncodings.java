package io.github.djladapters.runtime.safetensors;

/**
 * Conversions between float32 and the 16-bit float formats of checkpoints, done in Java so that no
 * BF16 value ever reaches DJL (its BF16 casts abort the JVM on CPU).
 */
public final class FloatEncodings {

    private FloatEncodings() {}

    /**
     * Widens a bfloat16 value.
     *
     * @param bits the 16 bits
     * @return the float it encodes (exact)
     */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Rounds a float to bfloat16, to nearest even; NaN stays NaN.
     *
     * @param value a float
     * @return the 16 bits
     */
    public static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Widens an IEEE half-precision value.
     *
     * @param bits the 16 bits
     * @return the float it encodes (exact)
     */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Rounds a float to IEEE half precision, to nearest even; overflow becomes infinity.
     *
     * @param value a float
     * @return the 16 bits
     */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fffffff;
        if (magnitude >= 0x7f800000) { // inf or NaN
            return (short) (sign | 0x7c00 | (magnitude > 0x7f800000 ? 0x200 : 0));
        }
        if (magnitude >= 0x477ff000) { // rounds to >= 65520: overflow
            return (short) (sign | 0x7c00);
        }
        if (magnitude < 0x38800000) { // below the smallest normal half: subnormal or zero
            float abs = Float.intBitsToFloat(magnitude);
            int sub = Math.round(abs * 0x1p24f); // Math.round is half-up; fix ties to even below
            float exact = abs * 0x1p24f;
            if (exact - Math.floor(exact) == 0.5 && (sub & 1) == 1) {
                sub -= 1;
            }
            return (short) (sign | sub);
        }
        int rebased = magnitude - (112 << 23);
        int rounding = 0xfff + ((rebased >>> 13) & 1);
        return (short) (sign | ((rebased + rounding) >>> 13));
    }
}

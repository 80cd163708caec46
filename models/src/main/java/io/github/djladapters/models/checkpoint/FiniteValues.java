package io.github.djladapters.models.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** Finds NaN and infinite values in float32 tensor data, so a checkpoint can be refused before use. */
final class FiniteValues {

    private FiniteValues() {}

    /**
     * The first value that is not finite.
     *
     * @param float32 values in native byte order, from position 0 to the limit; not moved
     * @return a description such as {@code NaN at element 17}, or null when every value is finite
     */
    static String firstNonFinite(ByteBuffer float32) {
        FloatBuffer values = float32.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < values.limit(); i++) {
            float v = values.get(i);
            if (!Float.isFinite(v)) {
                return (Float.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") + " at element " + i;
            }
        }
        return null;
    }
}

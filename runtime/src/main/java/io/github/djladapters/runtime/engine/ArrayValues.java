package io.github.djladapters.runtime.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives an existing array new values in memory of its own. DJL's PyTorch engine makes a CPU array
 * share the memory of a direct buffer passed to {@code NDArray.set} or {@code NDManager.create},
 * kept alive only by that one Java object, and its {@code toType(sameType, true)} returns an
 * alias; views taken of such an array read freed memory once the buffer is collected. Values set
 * here are copied into memory that PyTorch owns, so no buffer, manager or view of the caller's can
 * change them later.
 *
 * <pre>{@code
 * ArrayValues.replace(parameter.getArray(), checkpoint.readFloat32("encoder.layer.0.output.dense.weight"));
 * }</pre>
 */
public final class ArrayValues {

    /** Counts storage swaps ({@code intern}) of existing arrays, here and in {@link TransposedStorage}. */
    private static final AtomicLong REPLACEMENTS = new AtomicLong();

    private ArrayValues() {}

    /**
     * How many arrays have had their storage swapped in place so far (values replaced here, layouts
     * changed by {@link TransposedStorage}): a copy derived from an array's values (a packed weight) is
     * stale when this moved, even if the array's object and handle look the same again.
     *
     * @return a counter that only grows
     */
    public static long replacements() {
        return REPLACEMENTS.get();
    }

    /** Notes one storage swap. */
    static void replaced() {
        REPLACEMENTS.incrementAndGet();
    }

    /**
     * Replaces {@code target}'s values with a copy of {@code value}'s; its trainability is kept.
     *
     * @param target the array to change in place (a parameter's array, say)
     * @param value the new values, same shape; the caller may close it right after
     * @throws IllegalArgumentException when the shapes differ
     */
    public static void replace(NDArray target, NDArray value) {
        if (!target.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("array of shape " + target.getShape() + " cannot take values of shape "
                    + value.getShape());
        }
        boolean trainable = target.hasGradient();
        // the steps' arrays free with this scope, not with value's manager (which may be a model's)
        try (NDManager scope = target.getManager().newSubManager()) {
            // flatten puts a strided view (a transposed delta) into row-major order; duplicate() is the copy.
            NDArray flat = value.flatten();
            flat.attach(scope);
            NDArray copy = flat.toType(target.getDataType(), false).duplicate().reshape(target.getShape())
                    .stopGradient();
            if (TransposedStorage.isStored(target)) { // keep the layout a decoder chose for its projections
                copy = TransposedStorage.transposedCopy(copy);
            }
            target.intern(copy); // takes copy's tensor and closes copy
        }
        replaced();
        target.setRequiresGradient(trainable);
    }

    /**
     * Replaces {@code target}'s values with a copy of float32 values read from a buffer.
     *
     * @param target a float32 array
     * @param float32 exactly {@code target.size()} floats in native byte order, from its position
     * @throws IllegalArgumentException when the target is not float32 or the buffer size differs
     */
    public static void replace(NDArray target, ByteBuffer float32) {
        if (target.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("array is " + target.getDataType() + ", not float32");
        }
        if (float32.remaining() != target.size() * 4) {
            throw new IllegalArgumentException("array of shape " + target.getShape() + " needs " + target.size() * 4
                    + " bytes, the buffer holds " + float32.remaining());
        }
        try (NDManager scope = target.getManager().newSubManager()) {
            replace(target, scope.create(float32, target.getShape(), DataType.FLOAT32));
        }
    }

    /**
     * Moves a freshly created array into memory PyTorch owns: {@code NDManager.create(float[])} and
     * its kin make CPU arrays over a direct Java buffer, which a view taken for autograd outlives once
     * the array is closed; the copy has no such buffer. The original is closed.
     *
     * <pre>{@code
     * NDArray mask = ArrayValues.owned(manager.create(new float[] {1, 0, 1}));
     * }</pre>
     *
     * @param created an array just made from Java values; closed by this call
     * @return a copy in the same manager, backed by PyTorch's allocator
     */
    public static NDArray owned(NDArray created) {
        NDArray copy = created.duplicate();
        created.close();
        return copy;
    }
}

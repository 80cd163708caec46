package io.github.djladapters.runtime.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps a projection weight {@code [out, in]} in memory as its transpose {@code [in, out]}, row-major,
 * while the array still reads {@code [out, in]} (a transposed view). {@code linear(x, w)} computes
 * {@code x w^T}; with the weight stored this way {@code w^T} is contiguous and libtorch 2.7.1's
 * matrix product runs its faster untransposed kernel: measured per call at decode shapes (one
 * thread, CPU time), {@code [8, 768] x [768, 2048]} 0.91 -> 0.45 ms and the tied LM head
 * {@code [1, 768] x [768, 32000]} 8.8 -> 6.4 ms. Values, shape, names, gradients and saved bytes are
 * those of the plain array; only the strides differ.
 *
 * <p>{@link ArrayValues#replace} keeps the layout of an array stored here, so loading a checkpoint or
 * merging an adapter into the weight does not undo it.
 *
 * <pre>{@code
 * TransposedStorage.store(linear.getParameters().get("weight").getArray());
 * }</pre>
 */
public final class TransposedStorage {

    // by identity (NDArray.equals compares values) and weakly (a closed model's arrays may go)
    private static final Map<Integer, List<WeakReference<NDArray>>> STORED = new HashMap<>();
    // references whose arrays were collected: their entries leave the map at the next store
    private static final ReferenceQueue<NDArray> COLLECTED = new ReferenceQueue<>();

    private TransposedStorage() {}

    /**
     * Moves a 2-D array's values into transposed storage in place (the array object, its handle's
     * owner and its trainability stay); nothing happens when it is stored so already.
     *
     * @param matrix a 2-D array, typically a parameter's
     * @throws IllegalArgumentException when the array is not 2-D
     */
    public static void store(NDArray matrix) {
        if (matrix.getShape().dimension() != 2) {
            throw new IllegalArgumentException("only a 2-D weight can be stored transposed, got shape "
                    + matrix.getShape());
        }
        if (isStored(matrix)) {
            return;
        }
        intern(matrix, transposedCopy(matrix));
        remember(matrix);
    }

    /**
     * Moves an array stored by {@link #store} back into plain row-major storage (for comparisons).
     *
     * @param matrix an array
     */
    public static void restore(NDArray matrix) {
        if (!isStored(matrix)) {
            return;
        }
        NDArray flat = matrix.flatten(); // a copy in [out, in] order
        intern(matrix, flat.reshape(matrix.getShape()).stopGradient());
        flat.close();
        synchronized (STORED) {
            int key = System.identityHashCode(matrix);
            List<WeakReference<NDArray>> bucket = STORED.get(key);
            bucket.removeIf(ref -> ref.get() == null || ref.get() == matrix);
            if (bucket.isEmpty()) {
                STORED.remove(key);
            }
        }
    }

    /**
     * Whether {@link #store} moved this array.
     *
     * @param array an array
     * @return true when its values are stored transposed
     */
    public static boolean isStored(NDArray array) {
        synchronized (STORED) {
            List<WeakReference<NDArray>> bucket = STORED.get(System.identityHashCode(array));
            return bucket != null && bucket.stream().anyMatch(ref -> ref.get() == array);
        }
    }

    /**
     * A copy of {@code value} in transposed storage: a {@code [out, in]} view of a row-major
     * {@code [in, out]} buffer, detached from any graph.
     *
     * @param value a 2-D array
     * @return the copy, owned by the manager of {@code value}
     */
    static NDArray transposedCopy(NDArray value) {
        Shape s = value.getShape();
        NDArray transposed = value.transpose();
        NDArray buffer = transposed.flatten(); // a copy in [in, out] order
        NDArray rows = buffer.reshape(s.get(1), s.get(0));
        NDArray view = rows.transpose().stopGradient();
        transposed.close();
        buffer.close(); // the view keeps the memory
        rows.close();
        return view;
    }

    private static void intern(NDArray target, NDArray replacement) {
        boolean trainable = target.hasGradient();
        target.intern(replacement);
        replacement.close(); // intern moved its tensor but left the emptied array in the manager
        ArrayValues.replaced();
        target.setRequiresGradient(trainable);
    }

    private static void remember(NDArray matrix) {
        synchronized (STORED) {
            purgeCollected();
            List<WeakReference<NDArray>> bucket = STORED.computeIfAbsent(System.identityHashCode(matrix),
                    k -> new ArrayList<>());
            bucket.removeIf(ref -> ref.get() == null);
            bucket.add(new Stored(matrix));
        }
    }

    /** Drops the entries of arrays collected since the last call, so that the map follows the live arrays. */
    private static void purgeCollected() {
        for (Reference<? extends NDArray> ref = COLLECTED.poll(); ref != null; ref = COLLECTED.poll()) {
            int key = ((Stored) ref).identity;
            List<WeakReference<NDArray>> bucket = STORED.get(key);
            if (bucket != null) {
                bucket.remove(ref);
                if (bucket.isEmpty()) {
                    STORED.remove(key);
                }
            }
        }
    }

    /**
     * How many arrays the map follows now, collected ones not yet purged included: for checks that
     * closed models leave no entries behind.
     *
     * @return the entries after dropping those of collected arrays
     */
    public static int tracked() {
        synchronized (STORED) {
            purgeCollected();
            return STORED.values().stream().mapToInt(List::size).sum();
        }
    }

    /** A weak reference that remembers its array's identity hash, the map key. */
    private static final class Stored extends WeakReference<NDArray> {
        final int identity;

        Stored(NDArray array) {
            super(array, COLLECTED);
            identity = System.identityHashCode(array);
        }
    }
}

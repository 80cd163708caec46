package io.github.djladapters.runtime.engine;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the arrays of a manager that live over a Java buffer. The PyTorch engine builds
 * {@code NDManager.create(float[])} and its kin over a direct Java buffer that the array object
 * keeps alive; once the array is closed, the buffer can be freed while autograd still holds a
 * tensor over it, and the backward pass reads freed memory. Arrays that libtorch allocated have
 * no such buffer: closing their handle early is safe. A scope that frees a forward pass's
 * intermediates before {@code backward} moves the Java-backed ones to a longer-lived manager with
 * {@link #moveTo} first.
 *
 * <p>DJL exposes neither a manager's arrays nor an array's buffer, so both are read reflectively
 * ({@code BaseNDManager.resources}, {@code PtNDArray.dataRef}); {@link #checkable} says whether
 * that works for a manager, and callers keep everything when it does not.
 *
 * <pre>{@code
 * if (JavaBackedArrays.checkable(caller)) {
 *     JavaBackedArrays.moveTo(scope, caller);
 *     scope.close();
 * }
 * }</pre>
 */
public final class JavaBackedArrays {

    private static final String PYTORCH_MANAGER = "ai.djl.pytorch.engine.PtNDManager";
    private static final String PYTORCH_ARRAY = "ai.djl.pytorch.engine.PtNDArray";
    private static final Field RESOURCES = field(BaseNDManager.class, "resources");
    private static final Field BUFFER = field(pytorchArrayClass(), "dataRef");

    private JavaBackedArrays() {}

    /**
     * Whether the arrays of {@code manager} can be checked for Java buffers: a PyTorch manager,
     * with DJL's fields where this class expects them.
     *
     * @param manager a manager
     * @return true when {@link #moveTo} can find every Java-backed array of it
     */
    public static boolean checkable(NDManager manager) {
        return RESOURCES != null && BUFFER != null && manager.getClass().getName().equals(PYTORCH_MANAGER);
    }

    /**
     * Attaches every open array over a Java buffer owned by {@code scope}, or by one of its
     * sub-managers, to {@code target}.
     *
     * @param scope a manager about to be closed
     * @param target the manager that keeps those arrays
     * @return how many arrays moved
     * @throws IllegalStateException when {@code scope} is not {@link #checkable}
     */
    public static int moveTo(NDManager scope, NDManager target) {
        if (!checkable(scope)) {
            throw new IllegalStateException("cannot look for Java-backed arrays in " + scope.getClass().getName());
        }
        List<NDArray> found = new ArrayList<>();
        collect(scope, found);
        for (NDArray array : found) {
            array.attach(target);
        }
        return found.size();
    }

    /**
     * Whether {@code array} lives over a Java buffer (a PyTorch array made from Java values).
     *
     * @param array an array of the PyTorch engine
     * @return true when closing it would free memory a tensor may still point at
     */
    public static boolean isJavaBacked(NDArray array) {
        if (BUFFER == null || !BUFFER.getDeclaringClass().isInstance(array)) {
            return false;
        }
        try {
            return BUFFER.get(array) != null;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read the buffer of a PyTorch array", e);
        }
    }

    private static void collect(NDManager manager, List<NDArray> found) {
        Map<?, ?> resources;
        try {
            resources = (Map<?, ?>) RESOURCES.get(manager);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot list the arrays of " + manager.getName(), e);
        }
        for (Object resource : new ArrayList<>(resources.values())) {
            if (resource instanceof NDArray array && !array.isReleased() && isJavaBacked(array)) {
                found.add(array);
            } else if (resource instanceof NDManager child && child.isOpen()) {
                collect(child, found);
            }
        }
    }

    private static Class<?> pytorchArrayClass() {
        try {
            return Class.forName(PYTORCH_ARRAY, false, JavaBackedArrays.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static Field field(Class<?> owner, String name) {
        if (owner == null) {
            return null;
        }
        try {
            Field field = owner.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException | RuntimeException e) {
            return null;
        }
    }
}

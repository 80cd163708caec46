package io.github.djladapters.runtime.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Whether autograd is on for the calling thread. DJL's API has no such query (and its
 * {@code NDArray.hasGradient()} reports only what was asked of an array, not whether an op's result
 * records), so this reads the PyTorch engine's {@code JniUtils.isGradMode()} when that engine is on
 * the class path; elsewhere it answers true, the cautious answer for code that keeps results only
 * when nothing records.
 */
public final class GradientRecording {

    private static final MethodHandle IS_GRAD_MODE = find();

    private GradientRecording() {}

    /**
     * Whether ops on this thread may record a graph.
     *
     * @return PyTorch's grad mode for this thread, or true when it cannot be read
     */
    public static boolean on() {
        if (IS_GRAD_MODE == null) {
            return true;
        }
        try {
            return (boolean) IS_GRAD_MODE.invokeExact();
        } catch (Throwable e) {
            return true;
        }
    }

    private static MethodHandle find() {
        try {
            Class<?> jni = Class.forName("ai.djl.pytorch.jni.JniUtils");
            return MethodHandles.publicLookup().findStatic(jni, "isGradMode", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}

package io.github.djladapters.models.generation;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns PyTorch's autograd off on the current thread until closed, then restores it. Grad mode is
 * per thread and is off only on the thread that loaded the engine; without this, a generation loop
 * on another thread would record a graph through every cached key and keep all of it alive.
 *
 * <pre>{@code
 * try (GradientsOff off = GradientsOff.onThisThread()) {
 *     ... inference ...
 * }
 * }</pre>
 */
public final class GradientsOff implements AutoCloseable {

    private final boolean pytorch;
    private final boolean previous;

    private GradientsOff(boolean pytorch, boolean previous) {
        this.pytorch = pytorch;
        this.previous = previous;
    }

    /**
     * Turns gradients off on this thread (a no-op for engines other than PyTorch).
     *
     * @return the scope to close
     */
    public static GradientsOff onThisThread() {
        boolean pytorch = "PyTorch".equals(Engine.getInstance().getEngineName());
        boolean previous = pytorch && JniUtils.isGradMode();
        if (pytorch) {
            JniUtils.setGradMode(false);
        }
        return new GradientsOff(pytorch, previous);
    }

    /** Restores the grad mode found on entry. */
    @Override
    public void close() {
        if (pytorch) {
            JniUtils.setGradMode(previous);
        }
    }
}

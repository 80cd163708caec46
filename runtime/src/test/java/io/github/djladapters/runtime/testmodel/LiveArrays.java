package io.github.djladapters.runtime.testmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The open NDArrays and NDManagers of the whole process: everything reachable from the engine's system
 * manager, which every base manager (the model's, a caller's, one a library made for itself) is attached
 * to. A long-running loop (training steps, generations) whose counts differ after 3 and after 30
 * iterations leaves something open at every iteration, wherever it is attached.
 *
 * @param arrays the open arrays
 * @param managers the open managers, the system manager not included
 */
public record LiveArrays(int arrays, int managers) {

    private static final Field RESOURCES;

    static {
        try {
            RESOURCES = BaseNDManager.class.getDeclaredField("resources");
            RESOURCES.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Counts what is open now.
     *
     * @return the counts
     */
    public static LiveArrays now() {
        NDManager system;
        try (NDManager probe = Engine.getInstance().newBaseManager()) {
            system = probe.getParentManager();
        }
        int[] counts = new int[2];
        visit(system, counts);
        return new LiveArrays(counts[0], counts[1] - 1); // the system manager itself not counted
    }

    private static void visit(NDManager manager, int[] counts) {
        counts[1]++;
        if (!(manager instanceof BaseNDManager)) {
            counts[0] += manager.getManagedArrays().size();
            return;
        }
        Map<?, ?> resources;
        try {
            resources = (Map<?, ?>) RESOURCES.get(manager);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        List<Object> children = new ArrayList<>(resources.values());
        for (Object child : children) {
            if (child instanceof NDArray) {
                counts[0]++;
            } else if (child instanceof NDManager sub) {
                visit(sub, counts);
            }
        }
    }

    /**
     * Runs {@code iteration} once to warm up (lazy state such as caches and kernels is made there), then
     * {@code few} times and counts, then {@code many - few} more times and counts again, and asserts that
     * the counts did not change.
     *
     * @param what names the loop in the failure message
     * @param few the iterations of the first count (3)
     * @param many the iterations of the second count (30)
     * @param iteration one iteration
     * @return the counts after {@code few} and after {@code many} iterations
     */
    public static LiveArrays[] assertFlat(String what, int few, int many, Runnable iteration) {
        iteration.run();
        for (int i = 0; i < few; i++) {
            iteration.run();
        }
        LiveArrays afterFew = now();
        for (int i = few; i < many; i++) {
            iteration.run();
        }
        LiveArrays afterMany = now();
        System.out.printf("%s: live arrays/managers after %d iterations %d/%d, after %d %d/%d%n", what, few,
                afterFew.arrays, afterFew.managers, many, afterMany.arrays, afterMany.managers);
        assertEquals(afterFew, afterMany, what + ": open arrays and managers after " + few + " and after " + many
                + " iterations");
        return new LiveArrays[] {afterFew, afterMany};
    }
}

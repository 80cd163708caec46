package io.github.djladapters.runtime.testmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;

/** Checks that repeated calls leave no arrays behind in the managers that outlive them. */
public final class ArrayCounts {

    private ArrayCounts() {}

    /**
     * Runs {@code round} once to warm up (lazy state such as caches may be created there), then
     * {@code rounds} more times, and asserts that each manager holds as many arrays as after the
     * warm-up.
     *
     * @param rounds how many rounds after the warm-up
     * @param round one round of calls
     * @param managers the managers whose arrays must not grow (the model's, the caller's)
     */
    public static void assertFlatOver(int rounds, Runnable round, NDManager... managers) {
        round.run();
        int[] before = new int[managers.length];
        for (int i = 0; i < managers.length; i++) {
            before[i] = managers[i].getManagedArrays().size();
        }
        for (int r = 0; r < rounds; r++) {
            round.run();
        }
        for (int i = 0; i < managers.length; i++) {
            assertEquals(before[i], managers[i].getManagedArrays().size(),
                    "arrays in manager " + managers[i].getName() + " after " + rounds + " rounds");
        }
    }
}

package io.github.djladapters.runtime.composition;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which setups are well formed: the Adapters library's {@code ALLOWED_NESTINGS} and depth rule
 * (below the second level only {@code Stack} and adapters), then the narrower set this
 * implementation runs, and each adapter named once.
 */
final class CompositionRules {

    /** The library's {@code ALLOWED_NESTINGS}: what each block may hold. */
    private static final Map<Class<?>, List<Class<?>>> LIBRARY_NESTINGS = Map.of(
            Stack.class, List.of(AdapterRef.class, Fuse.class, Split.class, Parallel.class, BatchSplit.class,
                    Average.class),
            Fuse.class, List.of(AdapterRef.class, Stack.class),
            Split.class, List.of(AdapterRef.class, Split.class, Stack.class, BatchSplit.class, Average.class),
            Parallel.class, List.of(AdapterRef.class, Stack.class, BatchSplit.class, Average.class),
            BatchSplit.class, List.of(AdapterRef.class, Stack.class, Split.class, BatchSplit.class, Average.class),
            Average.class, List.of(AdapterRef.class, Stack.class, Split.class, BatchSplit.class));

    /**
     * What this implementation runs, a subset of the library's: branches of Parallel and BatchSplit
     * are single adapters (each row runs one adapter), and Stack, Average, Split and Fuse combine
     * single adapters.
     */
    private static final Map<Class<?>, List<Class<?>>> RUN_HERE = Map.of(
            Stack.class, List.of(AdapterRef.class),
            Fuse.class, List.of(AdapterRef.class),
            Split.class, List.of(AdapterRef.class),
            Parallel.class, List.of(AdapterRef.class),
            BatchSplit.class, List.of(AdapterRef.class),
            Average.class, List.of(AdapterRef.class));

    private CompositionRules() {}

    /**
     * Checks a setup.
     *
     * @param setup the setup
     * @throws IllegalArgumentException naming the block and the child that cannot be nested in it
     */
    static void check(Composition setup) {
        checkLibrary(setup, 0);
        checkRunHere(setup, setup);
        Set<String> seen = new HashSet<>();
        checkOnce(setup, setup, seen);
    }

    private static void checkLibrary(Composition block, int level) {
        if (level > 1 && !(block instanceof Stack || block instanceof AdapterRef)) {
            throw new IllegalArgumentException("adapter setup is too deep: cannot have " + block + " at level "
                    + level + " (the Adapters library allows only Stack and adapters below the second level)");
        }
        for (Composition child : block.children()) {
            if (!LIBRARY_NESTINGS.get(block.getClass()).contains(child.getClass())) {
                throw new IllegalArgumentException("adapter setup is invalid: cannot nest " + child + " in " + block
                        + " (" + block.blockName() + " may hold " + names(LIBRARY_NESTINGS.get(block.getClass()))
                        + ")");
            }
            checkLibrary(child, level + 1);
        }
    }

    private static void checkRunHere(Composition block, Composition setup) {
        boolean topLevel = block == setup;
        if (block instanceof Fuse && !topLevel) {
            throw new IllegalArgumentException(block + " inside " + setup + " is not supported: Fuse runs at the top"
                    + " of a setup only");
        }
        if ((block instanceof Parallel || block instanceof BatchSplit) && !topLevel) {
            throw new IllegalArgumentException(block.blockName() + " inside " + setup + " is not supported: "
                    + block.blockName() + " runs at the top of a setup only");
        }
        for (Composition child : block.children()) {
            if (!RUN_HERE.get(block.getClass()).contains(child.getClass())) {
                throw new IllegalArgumentException(child.blockName() + " inside " + block.blockName() + " (" + setup
                        + ") is not supported: here " + block.blockName() + " holds "
                        + names(RUN_HERE.get(block.getClass())));
            }
            checkRunHere(child, setup);
        }
    }

    private static void checkOnce(Composition block, Composition setup, Set<String> seen) {
        if (block instanceof AdapterRef ref && !seen.add(ref.name())) {
            throw new IllegalArgumentException("adapter '" + ref.name() + "' appears more than once in " + setup);
        }
        block.children().forEach(child -> checkOnce(child, setup, seen));
    }

    private static String names(List<Class<?>> types) {
        return types.stream().map(t -> t == AdapterRef.class ? "adapters" : t.getSimpleName()).toList().toString();
    }
}

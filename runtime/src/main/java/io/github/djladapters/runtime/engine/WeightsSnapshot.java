package io.github.djladapters.runtime.engine;

import ai.djl.util.NativeResource;
import java.util.Arrays;
import java.util.List;

/**
 * What a copy derived from weights was computed from, to tell later whether the copy still holds
 * their values: the sources themselves (arrays, adapter objects, {@code null} for an absent bias),
 * compared by identity; each array's native handle, which changes when its storage is swapped in
 * place ({@code NDArray.intern}: checkpoint loads, merges, device moves) while the Java object stays;
 * and the process-wide count of storage swaps ({@link ArrayValues#replacements()}), which catches a
 * swap whose new tensor reuses the old handle's address. Updates in place (an optimizer step) change
 * none of these: code that keeps copies drops them on training forwards itself.
 *
 * <pre>{@code
 * WeightsSnapshot snapshot = WeightsSnapshot.of(List.of(weight, bias));
 * ...
 * if (!snapshot.stillHolds(List.of(weight, bias))) { rebuild(); }
 * }</pre>
 */
public final class WeightsSnapshot {

    private final Object[] sources;
    private final long[] handles;
    private final long replacements;

    private WeightsSnapshot(Object[] sources) {
        // the count first: a swap while the handles are read then shows as a moved count
        replacements = ArrayValues.replacements();
        this.sources = sources;
        handles = new long[sources.length];
        for (int i = 0; i < sources.length; i++) {
            handles[i] = handle(sources[i]);
        }
    }

    /**
     * A snapshot of these sources now.
     *
     * @param sources arrays and other objects a copy is derived from, in a fixed order; nulls allowed
     * @return the snapshot
     */
    public static WeightsSnapshot of(List<?> sources) {
        return new WeightsSnapshot(sources.toArray());
    }

    /**
     * A snapshot of these sources now.
     *
     * @param sources arrays and other objects a copy is derived from, in a fixed order; nulls allowed
     * @return the snapshot
     */
    public static WeightsSnapshot of(Object... sources) {
        return new WeightsSnapshot(sources.clone());
    }

    /**
     * Whether a copy made at this snapshot still holds {@code current}'s values: the same objects in
     * the same order, with the same native handles, and no storage swapped anywhere since.
     *
     * @param current the sources now, in the snapshot's order
     * @return false when anything may have changed
     */
    public boolean stillHolds(List<?> current) {
        if (current.size() != sources.length || !noSwapsSince()) {
            return false;
        }
        for (int i = 0; i < sources.length; i++) {
            Object source = current.get(i);
            if (source != sources[i] || handle(source) != handles[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a copy made at this snapshot still holds {@code current}'s values (see {@link
     * #stillHolds(List)}).
     *
     * @param current the sources now, in the snapshot's order
     * @return false when anything may have changed
     */
    public boolean stillHolds(Object... current) {
        return stillHolds(Arrays.asList(current));
    }

    /**
     * Whether no array anywhere had its storage swapped since this snapshot; when one did, every
     * snapshot taken before is stale.
     *
     * @return true while {@link ArrayValues#replacements()} has not moved
     */
    public boolean noSwapsSince() {
        return replacements == ArrayValues.replacements();
    }

    /** The native handle behind an engine array (0 for other objects and for released arrays). */
    private static long handle(Object source) {
        if (source instanceof NativeResource<?> resource && !resource.isReleased()
                && resource.getHandle() instanceof Long handle) {
            return handle;
        }
        return 0;
    }
}

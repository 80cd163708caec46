package io.github.djladapters.serving.registry;

/**
 * Limits and mode of an {@link AdapterRegistry}.
 *
 * @param maxLoras how many adapters may be resident at once (DJL Serving's {@code max_loras}); the
 *     least recently used unpinned one is evicted to make room
 * @param maxAdapterBytes the bound on the memory adapters take, in bytes: resident weights, the
 *     per-layer stacks of them that mixed forwards keep, and the per-row weights decoding batches keep
 * @param mode unmerged (mixed batches) or merged (one adapter merged into the base)
 */
public record RegistryOptions(int maxLoras, long maxAdapterBytes, ServingMode mode) {

    /** 64 adapters, 2 GiB, unmerged. */
    public static final RegistryOptions DEFAULTS = new RegistryOptions(64, 2L << 30, ServingMode.UNMERGED);

    /** Checks the limits. */
    public RegistryOptions {
        if (maxLoras < 1) {
            throw new IllegalArgumentException("max_loras must be at least 1, got " + maxLoras);
        }
        if (maxAdapterBytes < 1) {
            throw new IllegalArgumentException("the adapter memory bound must be positive, got " + maxAdapterBytes);
        }
        if (mode == null) {
            throw new IllegalArgumentException("mode must be unmerged or merged");
        }
    }
}

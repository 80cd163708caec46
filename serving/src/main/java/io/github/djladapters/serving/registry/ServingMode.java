package io.github.djladapters.serving.registry;

/**
 * How adapters reach the base model, as DJL Serving describes for LoRA.
 */
public enum ServingMode {
    /** Adapters stay separate; one batch mixes adapters, each row through its own (the default). */
    UNMERGED,
    /** One adapter at a time is merged into the base weights: no added latency, a merge per switch. */
    MERGED
}

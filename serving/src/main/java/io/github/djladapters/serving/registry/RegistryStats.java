package io.github.djladapters.serving.registry;

/**
 * A snapshot of the registry's residency counters.
 *
 * @param registered adapters registered
 * @param resident adapter versions loaded into the model (retired ones still in use included)
 * @param residentBytes memory they take, as the adapter memory bound counts it: their weights, the
 *     per-layer stacks of them that mixed forwards keep, and the budgets of open decoding batches'
 *     kept per-row weights
 * @param evictions adapters evicted to make room since start
 */
public record RegistryStats(int registered, int resident, long residentBytes, long evictions) {}

package io.github.djladapters.runtime.merging;

/** The merge functions of PEFT's {@code merge_utils}, which {@link CombinationType}s apply. */
enum TaskMerge {
    TASK_ARITHMETIC,
    TIES,
    DARE_LINEAR,
    DARE_TIES,
    MAGNITUDE_PRUNE
}

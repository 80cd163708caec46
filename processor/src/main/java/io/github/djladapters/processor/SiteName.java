package io.github.djladapters.processor;

/**
 * The constants of the runtime's {@code io.github.djladapters.runtime.bindings.Site} enum, in the
 * same order. The processor does not depend on the runtime, so generated code names these
 * constants through {@link RuntimeTypes#SITE}; a test keeps the two enums in step.
 */
enum SiteName {
    SELF_ATTENTION,
    CROSS_ATTENTION,
    Q_PROJ,
    K_PROJ,
    V_PROJ,
    O_PROJ,
    QKV_PROJ,
    CROSS_Q_PROJ,
    CROSS_K_PROJ,
    CROSS_V_PROJ,
    CROSS_O_PROJ,
    CROSS_QKV_PROJ,
    INTERMEDIATE_PROJ,
    OUTPUT_PROJ,
    PRE_SELF_ATTENTION,
    PRE_CROSS_ATTENTION,
    PRE_FFN,
    LAYER_NORM_1,
    LAYER_NORM_2;

    /** Whether {@code replace} can put a wrapper at this site; attention blocks are read-only. */
    boolean replaceable() {
        return this != SELF_ATTENTION && this != CROSS_ATTENTION;
    }

    /** Whether this site is a fused query/key/value projection. */
    boolean fusedQkv() {
        return this == QKV_PROJ || this == CROSS_QKV_PROJ;
    }
}

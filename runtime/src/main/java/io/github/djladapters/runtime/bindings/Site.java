package io.github.djladapters.runtime.bindings;

/**
 * A part of one transformer layer that adapters can read or replace. q/k/v/o sites exist once for
 * the self-attention block and once, prefixed {@code CROSS_}, for the cross-attention block.
 *
 * <p>{@link #interfaceKey()} is the field name of the Python {@code AdapterModelInterface} that
 * names this part, relative to its {@link #scope()}.
 */
public enum Site {
    SELF_ATTENTION("layer_self_attn", Scope.LAYER),
    CROSS_ATTENTION("layer_cross_attn", Scope.LAYER),
    Q_PROJ("attn_q_proj", Scope.SELF_ATTENTION),
    K_PROJ("attn_k_proj", Scope.SELF_ATTENTION),
    V_PROJ("attn_v_proj", Scope.SELF_ATTENTION),
    O_PROJ("attn_o_proj", Scope.SELF_ATTENTION),
    QKV_PROJ("attn_qkv_proj", Scope.SELF_ATTENTION),
    CROSS_Q_PROJ("attn_q_proj", Scope.CROSS_ATTENTION),
    CROSS_K_PROJ("attn_k_proj", Scope.CROSS_ATTENTION),
    CROSS_V_PROJ("attn_v_proj", Scope.CROSS_ATTENTION),
    CROSS_O_PROJ("attn_o_proj", Scope.CROSS_ATTENTION),
    CROSS_QKV_PROJ("attn_qkv_proj", Scope.CROSS_ATTENTION),
    INTERMEDIATE_PROJ("layer_intermediate_proj", Scope.LAYER),
    OUTPUT_PROJ("layer_output_proj", Scope.LAYER),
    PRE_SELF_ATTENTION("layer_pre_self_attn", Scope.LAYER),
    PRE_CROSS_ATTENTION("layer_pre_cross_attn", Scope.LAYER),
    PRE_FFN("layer_pre_ffn", Scope.LAYER),
    LAYER_NORM_1("layer_ln_1", Scope.LAYER),
    LAYER_NORM_2("layer_ln_2", Scope.LAYER);

    /** What a site's path is relative to. */
    public enum Scope {
        /** Relative to one layer. */
        LAYER,
        /** Relative to the self-attention block of a layer. */
        SELF_ATTENTION,
        /** Relative to the cross-attention block of a layer. */
        CROSS_ATTENTION
    }

    private final String interfaceKey;
    private final Scope scope;

    Site(String interfaceKey, Scope scope) {
        this.interfaceKey = interfaceKey;
        this.scope = scope;
    }

    /**
     * The Python {@code AdapterModelInterface} field that names this part.
     *
     * @return for example {@code "attn_q_proj"} or {@code "layer_ln_1"}
     */
    public String interfaceKey() {
        return interfaceKey;
    }

    /**
     * What this site's path is relative to.
     *
     * @return the scope
     */
    public Scope scope() {
        return scope;
    }

    /**
     * Whether adapters may put another block at this site. Attention blocks are containers: adapters
     * replace their projections, or hook into them through {@code KeyValueAttention}.
     *
     * @return false for {@link #SELF_ATTENTION} and {@link #CROSS_ATTENTION}
     */
    public boolean isReplaceable() {
        return this != SELF_ATTENTION && this != CROSS_ATTENTION;
    }

    /**
     * Whether this site is a fused query/key/value projection.
     *
     * @return true for {@link #QKV_PROJ} and {@link #CROSS_QKV_PROJ}
     */
    public boolean isFusedQkv() {
        return this == QKV_PROJ || this == CROSS_QKV_PROJ;
    }

    /**
     * The site a role annotation of the DSL declares in a layer's own scope (not the cross-attention
     * variants).
     *
     * @param role a role annotation, such as {@code PreFfn.class}
     * @return the site, such as {@link #PRE_FFN}
     * @throws IllegalArgumentException for an annotation that declares no per-layer site
     */
    public static Site ofRole(Class<? extends java.lang.annotation.Annotation> role) {
        return switch (role.getSimpleName()) {
            case "SelfAttention" -> SELF_ATTENTION;
            case "CrossAttention" -> CROSS_ATTENTION;
            case "QProj" -> Q_PROJ;
            case "KProj" -> K_PROJ;
            case "VProj" -> V_PROJ;
            case "OProj" -> O_PROJ;
            case "QKVProj" -> QKV_PROJ;
            case "IntermediateProj" -> INTERMEDIATE_PROJ;
            case "OutputProj" -> OUTPUT_PROJ;
            case "PreSelfAttention" -> PRE_SELF_ATTENTION;
            case "PreCrossAttention" -> PRE_CROSS_ATTENTION;
            case "PreFfn" -> PRE_FFN;
            case "LayerNorm1" -> LAYER_NORM_1;
            case "LayerNorm2" -> LAYER_NORM_2;
            default -> throw new IllegalArgumentException("@" + role.getSimpleName() + " declares no per-layer site");
        };
    }
}

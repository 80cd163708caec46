package io.github.djladapters.processor;

/**
 * The role annotations of the DSL, with what the processor needs to know about each: where it may
 * appear, which site it becomes, and which {@code AdapterModelInterface.Builder} setter takes its
 * path. Declared in the order of the runtime's {@code Site} enum so generated code is ordered alike.
 */
enum Role {
    EMBEDDINGS("Embeddings", Scope.MODEL, "modelEmbeddings", null, null, "embed_tokens"),
    LAYERS("Layers", Scope.MODEL, "modelLayers", null, null, "layers"),
    SELF_ATTENTION("SelfAttention", Scope.LAYER, "layerSelfAttn", SiteName.SELF_ATTENTION, null, "self_attn"),
    CROSS_ATTENTION("CrossAttention", Scope.LAYER, "layerCrossAttn", SiteName.CROSS_ATTENTION, null, "cross_attn"),
    Q_PROJ("QProj", Scope.ATTENTION, "attnQProj", SiteName.Q_PROJ, SiteName.CROSS_Q_PROJ, "q_proj"),
    K_PROJ("KProj", Scope.ATTENTION, "attnKProj", SiteName.K_PROJ, SiteName.CROSS_K_PROJ, "k_proj"),
    V_PROJ("VProj", Scope.ATTENTION, "attnVProj", SiteName.V_PROJ, SiteName.CROSS_V_PROJ, "v_proj"),
    O_PROJ("OProj", Scope.ATTENTION, "attnOProj", SiteName.O_PROJ, SiteName.CROSS_O_PROJ, "o_proj"),
    QKV_PROJ("QKVProj", Scope.ATTENTION, "attnQkvProj", SiteName.QKV_PROJ, SiteName.CROSS_QKV_PROJ, "c_attn"),
    INTERMEDIATE_PROJ("IntermediateProj", Scope.LAYER, "layerIntermediateProj", SiteName.INTERMEDIATE_PROJ, null,
            "mlp.up_proj"),
    OUTPUT_PROJ("OutputProj", Scope.LAYER, "layerOutputProj", SiteName.OUTPUT_PROJ, null, "mlp.down_proj"),
    PRE_SELF_ATTENTION("PreSelfAttention", Scope.LAYER, "layerPreSelfAttn", SiteName.PRE_SELF_ATTENTION, null,
            "input_layernorm"),
    PRE_CROSS_ATTENTION("PreCrossAttention", Scope.LAYER, "layerPreCrossAttn", SiteName.PRE_CROSS_ATTENTION, null,
            "cross_attn_layernorm"),
    PRE_FFN("PreFfn", Scope.LAYER, "layerPreFfn", SiteName.PRE_FFN, null, "post_attention_layernorm"),
    LAYER_NORM_1("LayerNorm1", Scope.LAYER, "layerLn1", SiteName.LAYER_NORM_1, null, "attention.output.LayerNorm"),
    LAYER_NORM_2("LayerNorm2", Scope.LAYER, "layerLn2", SiteName.LAYER_NORM_2, null, "output.LayerNorm");

    /** The part of the model a role's field sits in, and its descriptor path is relative to. */
    enum Scope {
        /** The model itself and its plain fields, above the layers. */
        MODEL,
        /** One layer and everything below it. */
        LAYER,
        /** A self- or cross-attention block and everything below it. */
        ATTENTION
    }

    /**
     * The roles a method needs in every layer, from {@link io.github.djladapters.annotations.AdapterMethod#requiredRoles()}.
     *
     * @param method the method
     * @return its roles, in declaration order
     */
    static java.util.List<Role> requiredBy(io.github.djladapters.annotations.AdapterMethod method) {
        java.util.List<Role> roles = new java.util.ArrayList<>();
        for (Class<? extends java.lang.annotation.Annotation> annotation : method.requiredRoles()) {
            for (Role role : values()) {
                if (role.simpleName.equals(annotation.getSimpleName())) {
                    roles.add(role);
                }
            }
        }
        return roles;
    }

    static final String PACKAGE = "io.github.djladapters.annotations";

    private final String simpleName;
    private final Scope scope;
    private final String builderSetter;
    private final SiteName site;
    private final SiteName crossSite;
    private final String examplePath;

    Role(String simpleName, Scope scope, String builderSetter, SiteName site, SiteName crossSite,
            String examplePath) {
        this.simpleName = simpleName;
        this.scope = scope;
        this.builderSetter = builderSetter;
        this.site = site;
        this.crossSite = crossSite;
        this.examplePath = examplePath;
    }

    /** The annotation's simple name, as users write it after {@code @}. */
    String simpleName() {
        return simpleName;
    }

    /** The annotation's qualified name. */
    String qualifiedName() {
        return PACKAGE + "." + simpleName;
    }

    Scope scope() {
        return scope;
    }

    /** The {@code AdapterModelInterface.Builder} method that takes this role's path. */
    String builderSetter() {
        return builderSetter;
    }

    /** A typical path, used in messages that ask for one. */
    String examplePath() {
        return examplePath;
    }

    /**
     * The site this role becomes, or {@code null} for the model-level roles.
     *
     * @param cross whether the role was found inside the cross-attention block
     */
    SiteName site(boolean cross) {
        return cross ? crossSite : site;
    }

    /** Whether generated code replaces the field: all roles but the layer list and attention blocks. */
    boolean replaceable() {
        return this != LAYERS && this != SELF_ATTENTION && this != CROSS_ATTENTION;
    }

    /** Whether this is one of the separate q/k/v projections. */
    boolean separateQkv() {
        return this == Q_PROJ || this == K_PROJ || this == V_PROJ;
    }

    /** The role whose annotation has this qualified name, or {@code null}. */
    static Role forAnnotation(String qualifiedName) {
        for (Role role : values()) {
            if (role.qualifiedName().equals(qualifiedName)) {
                return role;
            }
        }
        return null;
    }
}

package io.github.djladapters.processor;

import java.util.Locale;

/**
 * Every diagnostic the processor reports, each with a stable id that appears in the message text
 * ({@code [DJLA001]}) so that users and tests can search for it. Ids are never reused; a retired
 * message keeps its number.
 */
public enum Message {
    /** A required role was not found where the processor looked for it. */
    MISSING_ROLE("DJLA001", "missing @%s: %s declares none (searched %s)"),
    /** The same role is declared twice in one scope. */
    DUPLICATE_ROLE("DJLA002", "@%s is declared twice in %s: %s and %s; a role names exactly one block per scope"),
    /** A fused projection is declared next to separate ones. */
    QKV_WITH_SEPARATE_PROJECTIONS("DJLA003",
            "@QKVProj cannot be combined with %s in %s; declare either one fused projection or @QProj, @KProj and @VProj"),
    /** Only some of the separate q/k/v projections are declared. */
    PARTIAL_QKV("DJLA004", "%s declares %s but not %s; declare all of @QProj, @KProj and @VProj, or one @QKVProj"),
    /** A role field is private. */
    PRIVATE_FIELD("DJLA005",
            "@%s field %s is private; the generated bindings read and replace it directly, make it package-private"),
    /** A role field is final. */
    FINAL_FIELD("DJLA006", "@%s field %s is final; the generated bindings assign it, remove final"),
    /** A role field, model or target is not a DJL block. */
    NOT_A_BLOCK("DJLA007", "%s has type %s, which is not a DJL block (ai.djl.nn.Block)"),
    /** DJL is missing from the compile class path. */
    BLOCK_NOT_ON_CLASS_PATH("DJLA008",
            "ai.djl.nn.Block is not on the compile class path; add ai.djl:api as a dependency to compile %s"),
    /** {@code @Layers} on something that is not a list or array of blocks. */
    LAYERS_NOT_A_LIST("DJLA009",
            "@Layers field %s has type %s; declare it as java.util.List<X> or X[] with X a DJL block type"),
    /** A replaceable role field has a type that cannot hold an adapter wrapper. */
    FIELD_CANNOT_HOLD_REPLACEMENT("DJLA010",
            "@%s field %s is declared as %s, which cannot hold an adapter wrapper; declare it as ai.djl.nn.Block"),
    /** A field on the access chain cannot be read from the generated class. */
    FIELD_NOT_REACHABLE("DJLA011",
            "field %s on the way to @%s is %s, so the generated %s cannot read it; make it package-private in package %s, or public"),
    /** A type on the access chain cannot be named from the generated class. */
    TYPE_NOT_REACHABLE("DJLA012",
            "type %s is %s, so the generated %s cannot name it; make it package-private in package %s, or public"),
    /** An adapter method needs a role the declaration lacks. */
    METHOD_NEEDS_ROLE("DJLA013", "%s needs @%s, which %s does not declare; add it or remove %s from methods"),
    /** An adapter method needs an attention block that exposes keys and values. */
    METHOD_NEEDS_KEY_VALUE_ATTENTION("DJLA014",
            "%s needs the self-attention type %s to implement %s; implement it or remove %s from methods"),
    /** A descriptor path does not match the target's fields. */
    PATH_NOT_IN_TARGET("DJLA015", "path \"%s\" of @%s does not match %s: %s"),
    /** A descriptor role without a path. */
    EMPTY_PATH("DJLA016", "@%s on @AdapterInterface type %s needs a path, for example @%s(\"%s\")"),
    /** Fused projection sizes that are neither all default nor all positive. */
    INVALID_QKV_SPLIT("DJLA017",
            "@QKVProj sizes must be all -1 (equal thirds) or all positive; got qSize=%d, kSize=%d, vSize=%d"),
    /** A role annotation on a type that is not a descriptor. */
    ROLE_ON_TYPE_WITHOUT_INTERFACE("DJLA018",
            "@%s on type %s is a descriptor path and needs @AdapterInterface on the same type; on an @AdaptableModel class annotate the fields"),
    /** A cross-attention block without its own projections. */
    CROSS_ATTENTION_INCOMPLETE("DJLA019",
            "@CrossAttention field %s: %s has no %s of its own; cross-attention needs its own q/k/v (or qkv) and o projections"),
    /** A role outside the part of the model it belongs to. */
    ROLE_OUT_OF_SCOPE("DJLA020", "@%s on %s is outside %s, where the processor looks for it"),
    /** A path on a field-level role. */
    PATH_ON_FIELD("DJLA021", "@%s on field %s takes no path (\"%s\"); paths belong on an @AdapterInterface type"),
    /** Types that were never generated. */
    TYPE_NEVER_GENERATED("DJLA022", "cannot check %s: type %s was not found and no processor generated it"),
    /** Both declaration forms on one type. */
    BOTH_FORMS("DJLA023", "%s is annotated with both @AdaptableModel and @AdapterInterface; use one of them"),
    /** A generic model class. */
    GENERIC_MODEL("DJLA024", "model type %s has type parameters; bindings need a concrete (non-generic) model class"),
    /** The services file could not be written. */
    SERVICES_FILE_NOT_WRITTEN("DJLA025", "could not write %s, so ServiceLoader will not find %s: %s");

    private final String id;
    private final String template;

    Message(String id, String template) {
        this.id = id;
        this.template = template;
    }

    /**
     * The stable id, such as {@code DJLA001}.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * The message text with its id in front.
     *
     * @param args the values for the template's placeholders
     * @return for example {@code [DJLA005] @QProj field TinyAttention.qProj is private; ...}
     */
    public String format(Object... args) {
        return "[" + id + "] " + String.format(Locale.ROOT, template, args);
    }
}

package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import javax.lang.model.element.TypeElement;

/**
 * Computes every name the processor generates, so that the readers, the writers and messages agree.
 * Generated classes are top level, in the declaration's package, named after the declaration with
 * nesting joined by {@code _}: {@code Outer.Inner} gets {@code Outer_Inner_AdapterBindings}.
 */
public final class GeneratedNames {

    /** The suffix of every generated bindings class. */
    public static final String BINDINGS_SUFFIX = "_AdapterBindings";

    private GeneratedNames() {}

    /**
     * The bindings class generated for an {@code @AdaptableModel} class or {@code @AdapterInterface} type.
     *
     * @param declaration the annotated type
     * @return for example {@code com.example.Outer_Inner_AdapterBindings}
     */
    public static ClassName bindingsClass(TypeElement declaration) {
        ClassName declared = ClassName.get(declaration);
        return ClassName.get(declared.packageName(), String.join("_", declared.simpleNames()) + BINDINGS_SUFFIX);
    }
}

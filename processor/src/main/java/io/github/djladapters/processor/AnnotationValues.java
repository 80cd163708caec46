package io.github.djladapters.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeMirror;

/**
 * Reads annotation mirrors without loading annotation classes, so that each value keeps its
 * {@link AnnotationValue} for precise error locations.
 */
final class AnnotationValues {

    private AnnotationValues() {}

    /** The annotation named {@code qualifiedName} on {@code element}, or {@code null}. */
    static AnnotationMirror find(Element element, String qualifiedName) {
        for (AnnotationMirror mirror : element.getAnnotationMirrors()) {
            TypeElement type = (TypeElement) mirror.getAnnotationType().asElement();
            if (type.getQualifiedName().contentEquals(qualifiedName)) {
                return mirror;
            }
        }
        return null;
    }

    /** The value the user wrote for {@code name}, or {@code null} when it was left at its default. */
    static AnnotationValue explicit(AnnotationMirror mirror, String name) {
        for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry
                : mirror.getElementValues().entrySet()) {
            if (entry.getKey().getSimpleName().contentEquals(name)) {
                return entry.getValue();
            }
        }
        return null;
    }

    /** A string member, its default when not written. */
    static String string(AnnotationMirror mirror, String name, String defaultValue) {
        AnnotationValue value = explicit(mirror, name);
        return value == null ? defaultValue : String.valueOf(value.getValue());
    }

    /** An int member, its default when not written. */
    static int integer(AnnotationMirror mirror, String name, int defaultValue) {
        AnnotationValue value = explicit(mirror, name);
        return value != null && value.getValue() instanceof Integer ? (Integer) value.getValue() : defaultValue;
    }

    /** A class member, or {@code null} when not written or not resolvable to a type. */
    static TypeMirror type(AnnotationMirror mirror, String name) {
        AnnotationValue value = explicit(mirror, name);
        return value != null && value.getValue() instanceof TypeMirror ? (TypeMirror) value.getValue() : null;
    }

    /** The enum constants of an array member, each with its own value for error locations. */
    static List<EnumEntry> enumArray(AnnotationMirror mirror, String name) {
        List<EnumEntry> entries = new ArrayList<>();
        AnnotationValue value = explicit(mirror, name);
        if (value == null) {
            return entries;
        }
        Object raw = value.getValue();
        List<?> items = raw instanceof List<?> ? (List<?>) raw : List.of(value);
        for (Object item : items) {
            AnnotationValue itemValue = (AnnotationValue) item;
            if (itemValue.getValue() instanceof VariableElement constant) {
                entries.add(new EnumEntry(constant.getSimpleName().toString(), itemValue));
            }
        }
        return entries;
    }

    /** One constant of an enum array member and the value that names it. */
    record EnumEntry(String name, AnnotationValue value) {}
}

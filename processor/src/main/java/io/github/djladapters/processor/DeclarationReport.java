package io.github.djladapters.processor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;

/**
 * Collects the errors of one declaration (an {@code @AdaptableModel} class or an
 * {@code @AdapterInterface} type). Each error goes to the element, annotation and value that cause
 * it so an IDE underlines the exact spot; an element that is not part of this compilation (a type
 * from a jar) cannot be underlined, so its errors go to the declaration instead. The processor
 * generates nothing for a declaration with errors but keeps reading, to report all of them at once.
 */
final class DeclarationReport {

    /** Where a diagnostic points: an element, optionally one of its annotations and one value in it. */
    record Location(Element element, AnnotationMirror mirror, AnnotationValue value) {
        static Location of(Element element) {
            return new Location(element, null, null);
        }

        static Location of(Element element, AnnotationMirror mirror) {
            return new Location(element, mirror, null);
        }

        static Location of(Element element, AnnotationMirror mirror, AnnotationValue value) {
            return new Location(element, mirror, value);
        }
    }

    private final Messager messager;
    private final Set<String> sourceTypes;
    private final Location declaration;
    private final Set<String> reported = new HashSet<>();
    private final List<Pending> pending = new ArrayList<>();

    /**
     * @param sourceTypes qualified names of the top-level types compiled from source in this compilation
     * @param declaration where errors go whose own element is not in this compilation
     */
    DeclarationReport(Messager messager, Set<String> sourceTypes, Location declaration) {
        this.messager = messager;
        this.sourceTypes = sourceTypes;
        this.declaration = declaration;
    }

    /** The declaration this report belongs to. */
    Location declaration() {
        return declaration;
    }

    /**
     * Records an error at {@code location}, or at the declaration when that element came from a jar.
     * Nothing is printed until {@link #flush}, so a declaration deferred to a later round reports
     * nothing twice.
     */
    void error(Message message, Location location, Object... args) {
        String text = message.format(args);
        Location target = inSource(location.element()) ? location : declaration;
        if (reported.add(text + "@" + target.element())) { // a jar type reached twice says the same thing twice
            pending.add(new Pending(text, target));
        }
    }

    /** Whether any error was recorded. */
    boolean hasErrors() {
        return !pending.isEmpty();
    }

    /** Prints the recorded errors, in the order they were found. */
    void flush() {
        for (Pending error : pending) {
            Location at = error.location();
            if (at.mirror() == null) {
                messager.printMessage(Diagnostic.Kind.ERROR, error.text(), at.element());
            } else if (at.value() == null) {
                messager.printMessage(Diagnostic.Kind.ERROR, error.text(), at.element(), at.mirror());
            } else {
                messager.printMessage(Diagnostic.Kind.ERROR, error.text(), at.element(), at.mirror(), at.value());
            }
        }
        pending.clear();
    }

    private record Pending(String text, Location location) {}

    private boolean inSource(Element element) {
        Element outermost = element;
        while (outermost.getEnclosingElement() != null
                && outermost.getEnclosingElement().getKind() != ElementKind.PACKAGE
                && outermost.getEnclosingElement().getKind() != ElementKind.MODULE) {
            outermost = outermost.getEnclosingElement();
        }
        return outermost instanceof TypeElement
                && sourceTypes.contains(((TypeElement) outermost).getQualifiedName().toString());
    }
}

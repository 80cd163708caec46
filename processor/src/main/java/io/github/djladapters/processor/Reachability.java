package io.github.djladapters.processor;

import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.util.Elements;

/**
 * Whether generated code, which sits in the model's package, may read a field or name a type. The
 * generated class is top level, so even a private field of the model's own nested class is out of
 * reach.
 */
final class Reachability {

    private final Elements elements;
    private final String generatedPackage;

    /**
     * @param generatedPackage the package the generated bindings are written to
     */
    Reachability(Elements elements, String generatedPackage) {
        this.elements = elements;
        this.generatedPackage = generatedPackage;
    }

    String generatedPackage() {
        return generatedPackage;
    }

    /** Why generated code cannot read {@code field} (for example {@code "private"}), or {@code null} when it can. */
    String fieldProblem(VariableElement field) {
        return accessProblem(field);
    }

    /** Why generated code cannot name {@code type} or one of its enclosing types, or {@code null} when it can. */
    String typeProblem(TypeElement type) {
        for (Element current = type; current instanceof TypeElement; current = current.getEnclosingElement()) {
            if (current.getKind() != ElementKind.CLASS && current.getKind() != ElementKind.INTERFACE
                    && current.getKind() != ElementKind.ENUM && current.getKind() != ElementKind.RECORD) {
                return "local";
            }
            String problem = accessProblem(current);
            if (problem != null) {
                return current == type ? problem : problem + " (through " + ((TypeElement) current).getQualifiedName() + ")";
            }
        }
        return null;
    }

    private String accessProblem(Element element) {
        Set<Modifier> modifiers = element.getModifiers();
        if (modifiers.contains(Modifier.PRIVATE)) {
            return "private";
        }
        if (modifiers.contains(Modifier.PUBLIC)) {
            return null;
        }
        String elementPackage = elements.getPackageOf(element).getQualifiedName().toString();
        if (elementPackage.equals(generatedPackage)) {
            return null;
        }
        String kind = modifiers.contains(Modifier.PROTECTED) ? "protected" : "package-private";
        return kind + " in package " + (elementPackage.isEmpty() ? "(default)" : elementPackage);
    }
}

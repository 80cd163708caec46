package io.github.djladapters.processor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.type.TypeVariable;
import javax.lang.model.type.WildcardType;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;

/**
 * Questions about types that the readers ask: is this a DJL block, what does a layer list hold,
 * which fields does a block have. DJL's {@code Block} is looked up by name, so the processor needs
 * no DJL on its own class path.
 */
final class BlockTypes {

    /** A field of a block type together with its type as seen from the type that holds it. */
    record Member(VariableElement field, TypeMirror type) {}

    private final Elements elements;
    private final Types types;
    private final TypeElement block;
    private final TypeElement list;

    BlockTypes(Elements elements, Types types) {
        this.elements = elements;
        this.types = types;
        this.block = elements.getTypeElement(RuntimeTypes.BLOCK.canonicalName());
        this.list = elements.getTypeElement("java.util.List");
    }

    /** Whether {@code ai.djl.nn.Block} is on the compile class path at all. */
    boolean blockAvailable() {
        return block != null;
    }

    /** Whether {@code type} is {@code ai.djl.nn.Block} or a subtype of it. */
    boolean isBlock(TypeMirror type) {
        TypeMirror bounded = upperBound(type);
        return bounded.getKind() == TypeKind.DECLARED
                && types.isSubtype(types.erasure(bounded), types.erasure(block.asType()));
    }

    /** Whether {@code type} is exactly {@code ai.djl.nn.Block}, so any block can be assigned to it. */
    boolean isExactlyBlock(TypeMirror type) {
        return type.getKind() == TypeKind.DECLARED && types.isSameType(types.erasure(type), types.erasure(block.asType()));
    }

    /** Whether {@code type} implements the interface named {@code qualifiedName}; false when it is absent. */
    boolean implementsInterface(TypeMirror type, String qualifiedName) {
        TypeElement iface = elements.getTypeElement(qualifiedName);
        TypeMirror bounded = upperBound(type);
        return iface != null && bounded.getKind() == TypeKind.DECLARED
                && types.isSubtype(types.erasure(bounded), types.erasure(iface.asType()));
    }

    /**
     * The block type a layer list holds: {@code X} for {@code X[]}, {@code List<X>},
     * {@code List<? extends X>} or a subtype of {@code List<X>}; {@code null} for anything else.
     */
    TypeMirror layerElement(TypeMirror type) {
        TypeMirror element = null;
        if (type.getKind() == TypeKind.ARRAY) {
            element = ((ArrayType) type).getComponentType();
        } else if (type.getKind() == TypeKind.DECLARED) {
            element = listArgument((DeclaredType) type);
        }
        if (element == null) {
            return null;
        }
        element = upperBound(element);
        return isBlock(element) ? element : null;
    }

    /** Whether a field of this type is a list or an array, so a numeric path segment indexes it. */
    boolean isListOrArray(TypeMirror type) {
        return type.getKind() == TypeKind.ARRAY
                || (type.getKind() == TypeKind.DECLARED
                        && types.isSubtype(types.erasure(type), types.erasure(list.asType())));
    }

    private TypeMirror listArgument(DeclaredType type) {
        Deque<TypeMirror> pending = new ArrayDeque<>(List.of(type));
        while (!pending.isEmpty()) {
            TypeMirror current = pending.pop();
            if (current.getKind() != TypeKind.DECLARED) {
                continue;
            }
            DeclaredType declared = (DeclaredType) current;
            if (declared.asElement().equals(list)) {
                return declared.getTypeArguments().isEmpty() ? null : declared.getTypeArguments().get(0);
            }
            pending.addAll(types.directSupertypes(declared));
        }
        return null;
    }

    /** The type itself, or the bound of a wildcard or type variable. */
    TypeMirror upperBound(TypeMirror type) {
        if (type.getKind() == TypeKind.WILDCARD) {
            TypeMirror bound = ((WildcardType) type).getExtendsBound();
            return bound == null ? elements.getTypeElement("java.lang.Object").asType() : upperBound(bound);
        }
        if (type.getKind() == TypeKind.TYPEVAR) {
            return upperBound(((TypeVariable) type).getUpperBound());
        }
        return type;
    }

    /**
     * Whether the processor looks inside a plain field of this type: a class that is a block and
     * belongs to the user, not to the JDK or DJL (whose blocks hold no roles).
     */
    boolean walkable(TypeMirror type) {
        if (type.getKind() != TypeKind.DECLARED || !isBlock(type)) {
            return false;
        }
        TypeElement element = (TypeElement) ((DeclaredType) type).asElement();
        return element.getKind() == ElementKind.CLASS && !isLibraryType(element);
    }

    /** Whether a type belongs to the JDK or to DJL, whose fields carry no roles. */
    boolean isLibraryType(TypeElement type) {
        String name = elements.getPackageOf(type).getQualifiedName().toString();
        return name.startsWith("java.") || name.startsWith("javax.") || name.equals("ai.djl")
                || name.startsWith("ai.djl.");
    }

    /** The instance fields of {@code type} and its user-defined superclasses, superclass fields first. */
    List<Member> fieldsOf(DeclaredType type) {
        List<DeclaredType> chain = new ArrayList<>();
        for (TypeMirror current = type; current.getKind() == TypeKind.DECLARED; ) {
            DeclaredType declared = (DeclaredType) current;
            TypeElement element = (TypeElement) declared.asElement();
            if (isLibraryType(element)) {
                break;
            }
            chain.add(0, declared);
            List<? extends TypeMirror> supertypes = types.directSupertypes(declared);
            current = supertypes.isEmpty() ? types.getNoType(TypeKind.NONE) : supertypes.get(0);
        }
        List<Member> members = new ArrayList<>();
        for (DeclaredType declared : chain) {
            for (VariableElement field : ElementFilter.fieldsIn(declared.asElement().getEnclosedElements())) {
                if (!field.getModifiers().contains(Modifier.STATIC)) {
                    members.add(new Member(field, types.asMemberOf(type, field)));
                }
            }
        }
        return members;
    }

    /** The name of a type that could not be resolved inside {@code type}, or {@code null} when all resolve. */
    String missingType(TypeMirror type) {
        switch (type.getKind()) {
            case ERROR:
                return type.toString();
            case ARRAY:
                return missingType(((ArrayType) type).getComponentType());
            case WILDCARD:
                WildcardType wildcard = (WildcardType) type;
                return wildcard.getExtendsBound() == null ? null : missingType(wildcard.getExtendsBound());
            case DECLARED:
                for (TypeMirror argument : ((DeclaredType) type).getTypeArguments()) {
                    String missing = missingType(argument);
                    if (missing != null) {
                        return missing;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /** The type element of a declared type, or {@code null}. */
    static TypeElement elementOf(TypeMirror type) {
        return type.getKind() == TypeKind.DECLARED ? (TypeElement) ((DeclaredType) type).asElement() : null;
    }
}

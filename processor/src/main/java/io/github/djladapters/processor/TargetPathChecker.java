package io.github.djladapters.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * Follows a descriptor path through the fields of the target class at compile time. A segment
 * matches a field by its name or its snake_case form ({@code self_attn} finds {@code selfAttn});
 * a list or array field continues into its element type (a numeric segment after it is the index).
 * Where the path reaches a type whose fields say nothing about its children ({@code ai.djl.nn.Block}
 * itself, any DJL or JDK type, an interface), checking stops and the run time resolves the rest.
 */
final class TargetPathChecker {

    /**
     * Where a path led.
     *
     * @param type the type of the last field, or {@code null} when checking stopped before the end
     * @param problem why the path does not match, or {@code null}
     */
    record Resolution(TypeMirror type, String problem) {
        static Resolution unknown() {
            return new Resolution(null, null);
        }

        boolean known() {
            return type != null;
        }
    }

    private final BlockTypes types;

    TargetPathChecker(BlockTypes types) {
        this.types = types;
    }

    /** Follows {@code path} from {@code start}; a {@code null} start means the start is not known. */
    Resolution resolve(TypeMirror start, String path) {
        if (start == null) {
            return Resolution.unknown();
        }
        String[] segments = path.split("\\.", -1);
        TypeMirror current = start;
        for (int i = 0; i < segments.length; i++) {
            if (!checkable(current)) {
                return Resolution.unknown();
            }
            DeclaredType owner = (DeclaredType) current;
            String segment = segments[i];
            BlockTypes.Member member = find(owner, segment);
            String ownerName = owner.asElement().getSimpleName().toString();
            if (member == null) {
                return new Resolution(null, ownerName + " has no field '" + segment + "' (nor one whose snake_case is '"
                        + segment + "'); its fields are " + fieldNames(owner));
            }
            TypeMirror type = member.type();
            if (i == segments.length - 1) {
                return new Resolution(type, null);
            }
            if (types.isListOrArray(type)) {
                current = types.layerElement(type);
                if (segments[i + 1].matches("\\d+")) {
                    i++; // the index into the list
                    if (i == segments.length - 1) {
                        return current == null ? Resolution.unknown() : new Resolution(current, null);
                    }
                }
                if (current == null) {
                    return Resolution.unknown();
                }
            } else if (!types.isBlock(type) && checkable(type)) {
                return new Resolution(null, "field '" + member.field().getSimpleName() + "' of " + ownerName
                        + " has type " + type + ", which is not a block and holds no child blocks");
            } else {
                current = type;
            }
        }
        return Resolution.unknown();
    }

    /** The type of one layer when a layers path ends at a list or array field, else {@code null}. */
    TypeMirror layerType(Resolution layers) {
        return layers.known() && types.isListOrArray(layers.type()) ? types.layerElement(layers.type()) : null;
    }

    /** Whether the processor can see the children of a type through its fields. */
    boolean checkable(TypeMirror type) {
        TypeMirror bounded = types.upperBound(type);
        if (bounded.getKind() != TypeKind.DECLARED) {
            return false;
        }
        TypeElement element = (TypeElement) ((DeclaredType) bounded).asElement();
        return element.getKind() == ElementKind.CLASS && !types.isLibraryType(element);
    }

    private BlockTypes.Member find(DeclaredType owner, String segment) {
        for (BlockTypes.Member member : types.fieldsOf(owner)) {
            String name = member.field().getSimpleName().toString();
            if (name.equals(segment) || snakeCase(name).equals(segment)) {
                return member;
            }
        }
        return null;
    }

    private List<String> fieldNames(DeclaredType owner) {
        List<String> names = new ArrayList<>();
        for (BlockTypes.Member member : types.fieldsOf(owner)) {
            names.add(member.field().getSimpleName().toString());
        }
        return names;
    }

    /** {@code selfAttn} becomes {@code self_attn}; {@code LayerNorm} becomes {@code layer_norm}. */
    static String snakeCase(String name) {
        StringBuilder snake = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c) && i > 0
                    && (Character.isLowerCase(name.charAt(i - 1)) || Character.isDigit(name.charAt(i - 1)))) {
                snake.append('_');
            }
            snake.append(c);
        }
        return snake.toString().toLowerCase(Locale.ROOT);
    }
}

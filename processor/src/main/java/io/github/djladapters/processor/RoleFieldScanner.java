package io.github.djladapters.processor;

import com.palantir.javapoet.TypeName;
import io.github.djladapters.processor.DeclarationReport.Location;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * Walks an {@code @AdaptableModel} class through its fields and collects every role field, with the
 * chain of field accesses that reaches it. Model roles are looked for in the model and its plain
 * block fields; layer roles in the {@code @Layers} element type and everything below it; q/k/v/o
 * roles below an attention field, once for self- and once for cross-attention. Checks that concern
 * one field alone (private, final, wrong type, out of place, found twice) are reported here; checks
 * over the whole declaration are {@link FieldModelReader}'s.
 */
final class RoleFieldScanner {

    /** Which attention block, if any, the walk is inside. */
    enum Side {
        NONE,
        SELF,
        CROSS
    }

    /**
     * One role field found.
     *
     * @param chain the field accesses from the model (model roles) or from one layer (all others)
     */
    record Found(Role role, VariableElement field, AnnotationMirror mirror, TypeMirror type, FieldChain chain) {
        Location location() {
            return Location.of(field, mirror);
        }
    }

    /** Everything a scan found, by scope. */
    static final class Result {
        final Map<Role, Found> model = new EnumMap<>(Role.class);
        final Map<Role, Found> layer = new EnumMap<>(Role.class);
        final Map<Role, Found> self = new EnumMap<>(Role.class);
        final Map<Role, Found> cross = new EnumMap<>(Role.class);
        final Set<String> missingTypes = new TreeSet<>();
        TypeMirror layerType;
    }

    private final BlockTypes types;
    private final DeclarationReport report;

    RoleFieldScanner(BlockTypes types, DeclarationReport report) {
        this.types = types;
        this.report = report;
    }

    /** Scans the model class; errors go to the report. */
    Result scan(TypeElement model) {
        Result result = new Result();
        walk((DeclaredType) model.asType(), FieldChain.startingAt(TypeName.get(model.asType())),
                Role.Scope.MODEL, Side.NONE, new HashSet<>(), result);
        return result;
    }

    private void walk(DeclaredType type, FieldChain chain, Role.Scope scope, Side side, Set<String> visiting,
            Result result) {
        String name = ((TypeElement) type.asElement()).getQualifiedName().toString();
        if (!visiting.add(name)) {
            return; // a block that holds its own type: seen on this path already
        }
        for (BlockTypes.Member member : types.fieldsOf(type)) {
            String missing = types.missingType(member.type());
            if (missing != null) {
                result.missingTypes.add(missing);
                continue;
            }
            List<RoleAnnotation> roles = rolesOn(member.field());
            if (roles.isEmpty()) {
                if (types.walkable(member.type())) {
                    walk((DeclaredType) member.type(), chain.then(member.field(), member.type(), FieldChain.Indexing.NONE),
                            scope, side, visiting, result);
                }
                continue;
            }
            for (RoleAnnotation role : roles) {
                found(role, member, chain, scope, side, visiting, result);
            }
        }
        visiting.remove(name);
    }

    private void found(RoleAnnotation annotation, BlockTypes.Member member, FieldChain chain, Role.Scope scope,
            Side side, Set<String> visiting, Result result) {
        Role role = annotation.role();
        AnnotationMirror mirror = annotation.mirror();
        VariableElement field = member.field();
        TypeMirror type = member.type();
        Location at = Location.of(field, mirror);
        checkField(role, mirror, field);
        if (!inScope(role, scope, side)) {
            report.error(Message.ROLE_OUT_OF_SCOPE, at, role.simpleName(), describe(field), expectedPlace(role));
            return;
        }
        Map<Role, Found> target = role.scope() == Role.Scope.MODEL ? result.model
                : role.scope() == Role.Scope.LAYER ? result.layer
                : side == Side.SELF ? result.self : result.cross;
        if (role == Role.LAYERS) {
            TypeMirror element = types.layerElement(type);
            if (element == null) {
                report.error(Message.LAYERS_NOT_A_LIST, at, describe(field), type);
                record(target, new Found(role, field, mirror, type, chain.then(field, type, FieldChain.Indexing.NONE)),
                        side); // found, though unusable: no "missing @Layers" on top
                return;
            }
            FieldChain.Indexing indexing = type.getKind() == TypeKind.ARRAY
                    ? FieldChain.Indexing.ARRAY : FieldChain.Indexing.LIST;
            if (record(target, new Found(role, field, mirror, element, chain.then(field, element, indexing)), side)) {
                result.layerType = element;
                walk((DeclaredType) element, FieldChain.startingAt(TypeName.get(element)),
                        Role.Scope.LAYER, Side.NONE, visiting, result);
            }
            return;
        }
        FieldChain next = chain.then(field, type, FieldChain.Indexing.NONE);
        if (!types.isBlock(type)) {
            report.error(Message.NOT_A_BLOCK, at, "@" + role.simpleName() + " field " + describe(field), type);
            record(target, new Found(role, field, mirror, type, next), side);
            return;
        }
        if (role == Role.SELF_ATTENTION || role == Role.CROSS_ATTENTION) {
            TypeMirror attention = types.upperBound(type);
            if (record(target, new Found(role, field, mirror, attention, next), side)
                    && attention.getKind() == TypeKind.DECLARED) {
                walk((DeclaredType) attention, next, Role.Scope.LAYER,
                        role == Role.SELF_ATTENTION ? Side.SELF : Side.CROSS, visiting, result);
            }
            return;
        }
        if (!types.isExactlyBlock(type)) {
            report.error(Message.FIELD_CANNOT_HOLD_REPLACEMENT, at, role.simpleName(), describe(field), type);
        }
        record(target, new Found(role, field, mirror, type, next), side);
    }

    /** Checks that concern the annotated field alone, wherever it sits. */
    private void checkField(Role role, AnnotationMirror mirror, VariableElement field) {
        Location at = Location.of(field, mirror);
        AnnotationValue path = AnnotationValues.explicit(mirror, "value");
        if (path != null && !String.valueOf(path.getValue()).isEmpty()) {
            report.error(Message.PATH_ON_FIELD, Location.of(field, mirror, path), role.simpleName(), describe(field),
                    path.getValue());
        }
        if (role == Role.QKV_PROJ) {
            QkvSizes.check(mirror, field, report);
        }
        if (field.getModifiers().contains(Modifier.PRIVATE)) {
            report.error(Message.PRIVATE_FIELD, at, role.simpleName(), describe(field));
        }
        if (field.getModifiers().contains(Modifier.FINAL)) {
            report.error(Message.FINAL_FIELD, at, role.simpleName(), describe(field));
        }
    }

    /** Records a role in its scope; a second one is an error and is not followed. */
    private boolean record(Map<Role, Found> scope, Found found, Side side) {
        Found earlier = scope.get(found.role());
        if (earlier != null) {
            report.error(Message.DUPLICATE_ROLE, found.location(), found.role().simpleName(),
                    scopeName(found.role(), side), earlier.chain().describe(), found.chain().describe());
            return false;
        }
        scope.put(found.role(), found);
        return true;
    }

    private static boolean inScope(Role role, Role.Scope scope, Side side) {
        switch (role.scope()) {
            case MODEL:
                return scope == Role.Scope.MODEL;
            case LAYER:
                return scope == Role.Scope.LAYER;
            default:
                return side != Side.NONE;
        }
    }

    private static String expectedPlace(Role role) {
        switch (role.scope()) {
            case MODEL:
                return "the model and its plain block fields above the layers";
            case LAYER:
                return "the @Layers element type and the blocks below it";
            default:
                return "every @SelfAttention and @CrossAttention block";
        }
    }

    private static String scopeName(Role role, Side side) {
        switch (role.scope()) {
            case MODEL:
                return "the model";
            case LAYER:
                return "one layer";
            default:
                return side == Side.CROSS ? "the cross-attention block" : "the self-attention block";
        }
    }

    /** {@code TinyAttention.qProj}: the field with the simple name of its class. */
    static String describe(VariableElement field) {
        return field.getEnclosingElement().getSimpleName() + "." + field.getSimpleName();
    }

    private static List<RoleAnnotation> rolesOn(VariableElement field) {
        List<RoleAnnotation> roles = new ArrayList<>();
        for (AnnotationMirror mirror : field.getAnnotationMirrors()) {
            String name = ((TypeElement) mirror.getAnnotationType().asElement()).getQualifiedName().toString();
            Role role = Role.forAnnotation(name);
            if (role != null) {
                roles.add(new RoleAnnotation(role, mirror));
            }
        }
        return roles;
    }

    private record RoleAnnotation(Role role, AnnotationMirror mirror) {}
}

package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.processor.AnnotationValues.EnumEntry;
import io.github.djladapters.processor.DeclarationReport.Location;
import io.github.djladapters.processor.TargetPathChecker.Resolution;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.Elements;

/**
 * Reads one {@code @AdapterInterface} descriptor into an {@link InterfaceBindingsModel}: the role
 * annotations on the type, each with a dotted path. Paths are relative as in the Python
 * {@code AdapterModelInterface}: embeddings and layers to the model, layer roles to one layer,
 * q/k/v/o to the attention block (self and, when declared, cross). When the descriptor names a
 * {@code target} class, the paths are checked against its fields with {@link TargetPathChecker}.
 */
final class InterfaceReader {

    private static final List<Role> REQUIRED = List.of(Role.EMBEDDINGS, Role.LAYERS, Role.SELF_ATTENTION,
            Role.O_PROJ, Role.INTERMEDIATE_PROJ, Role.OUTPUT_PROJ);

    private final BlockTypes types;
    private final Elements elements;
    private final Messager messager;
    private final Set<String> sourceTypes;

    InterfaceReader(BlockTypes types, Elements elements, Messager messager, Set<String> sourceTypes) {
        this.types = types;
        this.elements = elements;
        this.messager = messager;
        this.sourceTypes = sourceTypes;
    }

    ReadResult<InterfaceBindingsModel> read(TypeElement descriptor) {
        AnnotationMirror mirror = AnnotationValues.find(descriptor, Role.PACKAGE + ".AdapterInterface");
        DeclarationReport report = new DeclarationReport(messager, sourceTypes, Location.of(descriptor, mirror));
        ReadResult<InterfaceBindingsModel> result = check(descriptor, mirror, report);
        if (!result.isDeferred()) {
            report.flush();
        }
        return result;
    }

    private ReadResult<InterfaceBindingsModel> check(TypeElement descriptor, AnnotationMirror mirror,
            DeclarationReport report) {
        ClassName bindings = GeneratedNames.bindingsClass(descriptor);
        Reachability reach = new Reachability(elements, bindings.packageName());
        AnnotationValue targetValue = AnnotationValues.explicit(mirror, "target");
        TypeMirror target = AnnotationValues.type(mirror, "target");
        if (targetValue != null && (target == null || target.getKind() == TypeKind.ERROR)) {
            return ReadResult.deferred(Set.of(target == null ? String.valueOf(targetValue.getValue()) : target.toString()));
        }
        TypeElement targetElement = target == null ? null : BlockTypes.elementOf(target);
        if (targetElement != null && targetElement.getQualifiedName().contentEquals("java.lang.Void")) {
            target = null;
        }
        checkReachable(descriptor, descriptor, report.declaration(), reach, bindings, report);
        if (target != null) {
            checkTarget(target, Location.of(descriptor, mirror, targetValue), reach, bindings, report);
        }
        Map<Role, String> paths = new EnumMap<>(Role.class);
        Map<Role, AnnotationMirror> mirrors = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            AnnotationMirror roleMirror = AnnotationValues.find(descriptor, role.qualifiedName());
            if (roleMirror == null) {
                continue;
            }
            mirrors.put(role, roleMirror);
            String path = AnnotationValues.string(roleMirror, "value", "");
            if (path.isEmpty()) {
                report.error(Message.EMPTY_PATH, Location.of(descriptor, roleMirror), role.simpleName(),
                        descriptor.getSimpleName(), role.simpleName(), role.examplePath());
            } else {
                paths.put(role, path);
            }
            if (role == Role.QKV_PROJ) {
                QkvSizes.check(roleMirror, descriptor, report);
            }
        }
        checkRequiredRoles(descriptor, mirrors, report);
        checkMethods(descriptor, mirror, mirrors, report);
        if (target != null && types.isBlock(target)) {
            checkPaths(descriptor, mirror, types.upperBound(target), paths, mirrors, report);
        }
        if (report.hasErrors()) {
            return ReadResult.invalid();
        }
        ClassName targetName = target == null ? RuntimeTypes.BLOCK : ClassName.get(BlockTypes.elementOf(target));
        QkvSizes split = mirrors.containsKey(Role.QKV_PROJ) ? QkvSizes.of(mirrors.get(Role.QKV_PROJ)) : null;
        return ReadResult.valid(new InterfaceBindingsModel(ClassName.get(descriptor), bindings, targetName,
                FieldModelReader.methodNames(mirror), paths, split));
    }

    private void checkTarget(TypeMirror target, Location at, Reachability reach, ClassName bindings,
            DeclarationReport report) {
        TypeElement element = BlockTypes.elementOf(target);
        if (element == null || !types.isBlock(target)) {
            report.error(Message.NOT_A_BLOCK, at, "@AdapterInterface target", target);
            return;
        }
        if (!element.getTypeParameters().isEmpty()) {
            report.error(Message.GENERIC_MODEL, at, element.getQualifiedName());
        }
        checkReachable(element, element, at, reach, bindings, report);
    }

    private static void checkReachable(TypeElement type, TypeElement named, Location at, Reachability reach,
            ClassName bindings, DeclarationReport report) {
        String problem = reach.typeProblem(type);
        if (problem != null) {
            report.error(Message.TYPE_NOT_REACHABLE, at, named.getQualifiedName(), problem, bindings.simpleName(),
                    reach.generatedPackage());
        }
    }

    private static void checkRequiredRoles(TypeElement descriptor, Map<Role, AnnotationMirror> mirrors,
            DeclarationReport report) {
        String name = descriptor.getSimpleName().toString();
        String searched = "the annotations on " + name;
        for (Role role : REQUIRED) {
            if (!mirrors.containsKey(role)) {
                report.error(Message.MISSING_ROLE, report.declaration(), role.simpleName(), name, searched);
            }
        }
        List<String> separate = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        AnnotationMirror firstSeparate = null;
        for (Role role : List.of(Role.Q_PROJ, Role.K_PROJ, Role.V_PROJ)) {
            AnnotationMirror one = mirrors.get(role);
            (one == null ? absent : separate).add("@" + role.simpleName());
            firstSeparate = firstSeparate == null ? one : firstSeparate;
        }
        AnnotationMirror fused = mirrors.get(Role.QKV_PROJ);
        if (fused != null && firstSeparate != null) {
            report.error(Message.QKV_WITH_SEPARATE_PROJECTIONS, Location.of(descriptor, fused),
                    String.join(", ", separate), name);
        } else if (firstSeparate != null && !absent.isEmpty()) {
            report.error(Message.PARTIAL_QKV, Location.of(descriptor, firstSeparate), name,
                    String.join(", ", separate), String.join(", ", absent));
        } else if (fused == null && firstSeparate == null) {
            report.error(Message.MISSING_ROLE, report.declaration(), "QProj, @KProj and @VProj (or @QKVProj)", name,
                    searched);
        }
    }

    private static void checkMethods(TypeElement descriptor, AnnotationMirror mirror,
            Map<Role, AnnotationMirror> mirrors, DeclarationReport report) {
        for (EnumEntry entry : AnnotationValues.enumArray(mirror, "methods")) {
            AdapterMethod method = AdapterMethod.valueOf(entry.name());
            for (Role role : Role.requiredBy(method)) {
                if (!mirrors.containsKey(role)) {
                    report.error(Message.METHOD_NEEDS_ROLE, Location.of(descriptor, mirror, entry.value()),
                            method.name(), role.simpleName(), descriptor.getSimpleName(), method.name());
                }
            }
        }
    }

    /** Checks each path against the target's fields, as far as they can be seen. */
    private void checkPaths(TypeElement descriptor, AnnotationMirror mirror, TypeMirror target,
            Map<Role, String> paths, Map<Role, AnnotationMirror> mirrors, DeclarationReport report) {
        TargetPathChecker checker = new TargetPathChecker(types);
        Map<Role, Resolution> resolved = new EnumMap<>(Role.class);
        for (Map.Entry<Role, String> path : paths.entrySet()) {
            Role role = path.getKey();
            if (role.scope() == Role.Scope.MODEL) {
                resolved.put(role, check(checker, target, role, path.getValue(), descriptor, mirrors, report));
            }
        }
        TypeMirror layer = resolved.containsKey(Role.LAYERS) ? checker.layerType(resolved.get(Role.LAYERS)) : null;
        for (Map.Entry<Role, String> path : paths.entrySet()) {
            Role role = path.getKey();
            if (role.scope() == Role.Scope.LAYER) {
                resolved.put(role, check(checker, layer, role, path.getValue(), descriptor, mirrors, report));
            }
        }
        for (Role attention : List.of(Role.SELF_ATTENTION, Role.CROSS_ATTENTION)) {
            Resolution block = resolved.get(attention);
            TypeMirror start = block == null || !block.known() ? null : block.type();
            for (Map.Entry<Role, String> path : paths.entrySet()) {
                if (path.getKey().scope() == Role.Scope.ATTENTION) {
                    check(checker, start, path.getKey(), path.getValue(), descriptor, mirrors, report);
                }
            }
        }
        Resolution self = resolved.get(Role.SELF_ATTENTION);
        if (self == null || !self.known() || !checker.checkable(self.type())) {
            return; // the self-attention class is not visible: the run time checks it
        }
        for (EnumEntry method : AnnotationValues.enumArray(mirror, "methods")) {
            if (AdapterMethod.valueOf(method.name()).needsKeyValueAttention()
                    && !types.implementsInterface(self.type(), RuntimeTypes.KEY_VALUE_ATTENTION)) {
                report.error(Message.METHOD_NEEDS_KEY_VALUE_ATTENTION, Location.of(descriptor, mirror, method.value()),
                        method.name(), FieldModelReader.simpleName(self.type()), RuntimeTypes.KEY_VALUE_ATTENTION,
                        method.name());
            }
        }
    }

    private static Resolution check(TargetPathChecker checker, TypeMirror start, Role role, String path,
            TypeElement descriptor, Map<Role, AnnotationMirror> mirrors, DeclarationReport report) {
        Resolution resolution = checker.resolve(start, path);
        if (resolution.problem() != null) {
            AnnotationMirror roleMirror = mirrors.get(role);
            report.error(Message.PATH_NOT_IN_TARGET,
                    Location.of(descriptor, roleMirror, AnnotationValues.explicit(roleMirror, "value")), path,
                    role.simpleName(), start, resolution.problem());
        }
        return resolution;
    }
}

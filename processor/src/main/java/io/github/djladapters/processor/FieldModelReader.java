package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.processor.AnnotationValues.EnumEntry;
import io.github.djladapters.processor.DeclarationReport.Location;
import io.github.djladapters.processor.RoleFieldScanner.Found;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.Elements;

/**
 * Reads one {@code @AdaptableModel} class into a {@link FieldBindingsModel}: scans its fields with
 * {@link RoleFieldScanner}, then checks the declaration as a whole (required roles, q/k/v
 * combinations, adapter methods, whether generated code can reach every field).
 */
final class FieldModelReader {

    private final BlockTypes types;
    private final Messager messager;
    private final Set<String> sourceTypes;
    private final Elements elements;

    FieldModelReader(BlockTypes types, Elements elements, Messager messager,
            Set<String> sourceTypes) {
        this.types = types;
        this.elements = elements;
        this.messager = messager;
        this.sourceTypes = sourceTypes;
    }

    ReadResult<FieldBindingsModel> read(TypeElement model) {
        AnnotationMirror mirror = AnnotationValues.find(model, Role.PACKAGE + ".AdaptableModel");
        DeclarationReport report = new DeclarationReport(messager, sourceTypes, Location.of(model, mirror));
        ReadResult<FieldBindingsModel> result = check(model, mirror, report);
        if (!result.isDeferred()) {
            report.flush();
        }
        return result;
    }

    private ReadResult<FieldBindingsModel> check(TypeElement model, AnnotationMirror mirror, DeclarationReport report) {
        Location declaration = report.declaration();
        String modelName = model.getQualifiedName().toString();
        ClassName bindings = GeneratedNames.bindingsClass(model);
        if (AnnotationValues.find(model, Role.PACKAGE + ".AdapterInterface") != null) {
            report.error(Message.BOTH_FORMS, declaration, modelName);
            return ReadResult.invalid();
        }
        if (!types.isBlock(model.asType())) {
            report.error(Message.NOT_A_BLOCK, declaration, "@AdaptableModel class " + modelName, model.asType());
            return ReadResult.invalid();
        }
        if (!model.getTypeParameters().isEmpty()) {
            report.error(Message.GENERIC_MODEL, declaration, modelName);
        }
        Reachability reach = new Reachability(elements, bindings.packageName());
        String modelProblem = reach.typeProblem(model);
        if (modelProblem != null) {
            report.error(Message.TYPE_NOT_REACHABLE, declaration, modelName, modelProblem, bindings.simpleName(),
                    reach.generatedPackage());
        }
        RoleFieldScanner.Result found = new RoleFieldScanner(types, report).scan(model);
        if (!found.missingTypes.isEmpty()) {
            return ReadResult.deferred(found.missingTypes);
        }
        checkRequiredRoles(model, found, report);
        checkMethods(mirror, found, report);
        checkReachable(found, reach, bindings, report);
        if (report.hasErrors()) {
            return ReadResult.invalid();
        }
        return ReadResult.valid(toModel(model, bindings, mirror, found));
    }

    private void checkRequiredRoles(TypeElement model, RoleFieldScanner.Result found, DeclarationReport report) {
        String modelName = model.getSimpleName().toString();
        for (Role role : List.of(Role.EMBEDDINGS, Role.LAYERS)) {
            if (!found.model.containsKey(role)) {
                report.error(Message.MISSING_ROLE, report.declaration(), role.simpleName(), modelName,
                        modelName + " and the plain block fields below it");
            }
        }
        Found layers = found.model.get(Role.LAYERS);
        if (layers == null || found.layerType == null) {
            return;
        }
        String layerName = simpleName(found.layerType);
        for (Role role : List.of(Role.SELF_ATTENTION, Role.INTERMEDIATE_PROJ, Role.OUTPUT_PROJ)) {
            if (!found.layer.containsKey(role)) {
                report.error(Message.MISSING_ROLE, layers.location(), role.simpleName(), "layer type " + layerName,
                        layerName + " and the blocks below it");
            }
        }
        checkAttention(found.layer.get(Role.SELF_ATTENTION), found.self, report);
        checkAttention(found.layer.get(Role.CROSS_ATTENTION), found.cross, report);
    }

    /** q/k/v (or one qkv) and o inside one attention block. */
    private void checkAttention(Found attention, Map<Role, Found> roles, DeclarationReport report) {
        if (attention == null || !types.isBlock(attention.type())) {
            return; // a non-block attention field is reported already
        }
        boolean cross = attention.role() == Role.CROSS_ATTENTION;
        String typeName = simpleName(attention.type());
        List<String> separate = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        Found firstSeparate = null;
        for (Role role : List.of(Role.Q_PROJ, Role.K_PROJ, Role.V_PROJ)) {
            Found one = roles.get(role);
            (one == null ? absent : separate).add("@" + role.simpleName());
            firstSeparate = firstSeparate == null ? one : firstSeparate;
        }
        Found fused = roles.get(Role.QKV_PROJ);
        List<String> missing = new ArrayList<>();
        if (fused != null && firstSeparate != null) {
            report.error(Message.QKV_WITH_SEPARATE_PROJECTIONS, fused.location(), String.join(", ", separate), typeName);
        } else if (firstSeparate != null && !absent.isEmpty()) {
            report.error(Message.PARTIAL_QKV, firstSeparate.location(), typeName, String.join(", ", separate),
                    String.join(", ", absent));
        } else if (fused == null && firstSeparate == null) {
            missing.add("QProj, @KProj and @VProj (or @QKVProj)");
        }
        if (!roles.containsKey(Role.O_PROJ)) {
            missing.add("OProj");
        }
        for (String role : missing) {
            if (cross) {
                report.error(Message.CROSS_ATTENTION_INCOMPLETE, attention.location(),
                        RoleFieldScanner.describe(attention.field()), typeName, "@" + role);
            } else {
                report.error(Message.MISSING_ROLE, attention.location(), role, "self-attention type " + typeName,
                        typeName + " and the blocks below it");
            }
        }
    }

    private void checkMethods(AnnotationMirror mirror, RoleFieldScanner.Result found, DeclarationReport report) {
        String layerName = found.layerType == null ? "the layer type" : simpleName(found.layerType);
        Found self = found.layer.get(Role.SELF_ATTENTION);
        for (EnumEntry entry : AnnotationValues.enumArray(mirror, "methods")) {
            AdapterMethod method = AdapterMethod.valueOf(entry.name());
            Location at = Location.of(report.declaration().element(), mirror, entry.value());
            for (Role role : Role.requiredBy(method)) {
                if (found.layerType != null && !found.layer.containsKey(role)) {
                    report.error(Message.METHOD_NEEDS_ROLE, at, method.name(), role.simpleName(), layerName,
                            method.name());
                }
            }
            if (method.needsKeyValueAttention() && self != null
                    && !types.implementsInterface(self.type(), RuntimeTypes.KEY_VALUE_ATTENTION)) {
                report.error(Message.METHOD_NEEDS_KEY_VALUE_ATTENTION, at, method.name(), simpleName(self.type()),
                        RuntimeTypes.KEY_VALUE_ATTENTION, method.name());
            }
        }
    }

    /** Every field on every chain must be readable, and every type on it nameable, from the generated class. */
    private static void checkReachable(RoleFieldScanner.Result found, Reachability reach, ClassName bindings,
            DeclarationReport report) {
        Found layers = found.model.get(Role.LAYERS);
        Set<Element> seen = new HashSet<>();
        List<Found> all = new ArrayList<>(found.model.values());
        all.addAll(found.layer.values());
        all.addAll(found.self.values());
        all.addAll(found.cross.values());
        for (Found role : all) {
            FieldChain chain = role.role().scope() == Role.Scope.MODEL || layers == null
                    ? role.chain() : layers.chain().append(role.chain());
            List<FieldChain.Link> links = chain.links();
            for (int i = 0; i < links.size(); i++) {
                FieldChain.Link link = links.get(i);
                String fieldProblem = reach.fieldProblem(link.field());
                boolean privateRole = link.field().equals(role.field()) && "private".equals(fieldProblem);
                if (fieldProblem != null && !privateRole && seen.add(link.field())) { // private roles: DJLA005
                    report.error(Message.FIELD_NOT_REACHABLE, Location.of(link.field()),
                            RoleFieldScanner.describe(link.field()), role.role().simpleName(), fieldProblem,
                            bindings.simpleName(), reach.generatedPackage());
                }
                TypeElement holder = (TypeElement) link.field().getEnclosingElement();
                String holderProblem = reach.typeProblem(holder);
                if (holderProblem != null && seen.add(holder)) {
                    report.error(Message.TYPE_NOT_REACHABLE, Location.of(holder), holder.getQualifiedName(),
                            holderProblem, bindings.simpleName(), reach.generatedPackage());
                }
                TypeElement value = BlockTypes.elementOf(link.valueType());
                String valueProblem = value == null || i == links.size() - 1 ? null : reach.typeProblem(value);
                if (valueProblem != null && seen.add(value)) {
                    report.error(Message.TYPE_NOT_REACHABLE, Location.of(link.field()), value.getQualifiedName(),
                            valueProblem, bindings.simpleName(), reach.generatedPackage());
                }
            }
        }
    }

    private static FieldBindingsModel toModel(TypeElement model, ClassName bindings, AnnotationMirror mirror,
            RoleFieldScanner.Result found) {
        Map<SiteName, FieldChain> sites = new EnumMap<>(SiteName.class);
        Map<SiteName, QkvSizes> splits = new EnumMap<>(SiteName.class);
        addSites(found.layer, false, sites, splits);
        addSites(found.self, false, sites, splits);
        addSites(found.cross, true, sites, splits);
        Found layers = found.model.get(Role.LAYERS);
        return new FieldBindingsModel(ClassName.get(model), bindings, methodNames(mirror),
                found.model.get(Role.EMBEDDINGS).chain(), layers.chain(), layers.chain().typeAtEnd(), sites, splits);
    }

    private static void addSites(Map<Role, Found> roles, boolean cross, Map<SiteName, FieldChain> sites,
            Map<SiteName, QkvSizes> splits) {
        for (Found role : roles.values()) {
            SiteName site = role.role().site(cross);
            sites.put(site, role.chain());
            if (site.fusedQkv()) {
                splits.put(site, QkvSizes.of(role.mirror()));
            }
        }
    }

    /** The {@code methods} of a declaration, without repeats, in {@code AdapterMethod} order. */
    static List<String> methodNames(AnnotationMirror mirror) {
        Set<AdapterMethod> methods = new TreeSet<>();
        for (EnumEntry entry : AnnotationValues.enumArray(mirror, "methods")) {
            methods.add(AdapterMethod.valueOf(entry.name()));
        }
        List<String> names = new ArrayList<>();
        methods.forEach(method -> names.add(method.name()));
        return names;
    }

    static String simpleName(TypeMirror type) {
        TypeElement element = BlockTypes.elementOf(type);
        return element == null ? type.toString() : element.getSimpleName().toString();
    }
}

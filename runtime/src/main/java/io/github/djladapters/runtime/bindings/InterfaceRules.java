package io.github.djladapters.runtime.bindings;

import static io.github.djladapters.runtime.bindings.AdapterModelInterface.ADAPTER_METHODS;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.K_PROJ;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.PATH_FIELDS;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.QKV_PROJ;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.QKV_SPLIT;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.Q_PROJ;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.REQUIRED;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.V_PROJ;

import io.github.djladapters.annotations.AdapterMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The validation rules of {@link AdapterModelInterface}, each problem naming its JSON field. */
final class InterfaceRules {

    private InterfaceRules() {}

    /**
     * Every problem of a would-be interface, in field order.
     *
     * @param methods the adapter methods
     * @param paths Python field name to path
     * @param qkvSplit the fused split, or null
     * @return one line per problem; empty when valid
     */
    static List<String> check(Set<AdapterMethod> methods, Map<String, String> paths, QkvSplit qkvSplit) {
        List<String> problems = new ArrayList<>();
        if (methods.isEmpty()) {
            problems.add(ADAPTER_METHODS + " is required: list at least one of " + validMethods());
        }
        for (String field : PATH_FIELDS) {
            String path = paths.get(field);
            if (path == null && REQUIRED.contains(field)) {
                problems.add(field + " is required");
            } else if (path != null && !wellFormed(path)) {
                problems.add(field + " '" + path + "' is not a dotted path of child names (no empty segments)");
            }
        }
        checkProjections(paths, qkvSplit, problems);
        for (AdapterMethod method : methods) {
            List<String> missing = new ArrayList<>();
            List<String> needed = new ArrayList<>();
            for (Class<? extends java.lang.annotation.Annotation> role : method.requiredRoles()) {
                String field = Site.ofRole(role).interfaceKey();
                needed.add(field);
                if (!paths.containsKey(field)) {
                    missing.add(field);
                }
            }
            if (!missing.isEmpty()) {
                problems.add(ADAPTER_METHODS + " contains \"" + method.configName() + "\", which needs "
                        + String.join(" and ", needed) + "; missing " + String.join(" and ", missing));
            }
        }
        return problems;
    }

    /** Python's rule: the three separate projections, or the fused one, exactly. */
    private static void checkProjections(Map<String, String> paths, QkvSplit qkvSplit, List<String> problems) {
        List<String> separate = List.of(Q_PROJ, K_PROJ, V_PROJ);
        List<String> present = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String field : separate) {
            (paths.containsKey(field) ? present : missing).add(field);
        }
        boolean fused = paths.containsKey(QKV_PROJ);
        if (!present.isEmpty() && !missing.isEmpty()) {
            problems.add(String.join(", ", separate) + " go together: " + String.join(", ", present)
                    + " set but " + String.join(", ", missing) + " missing");
        } else if (missing.isEmpty() && fused) {
            problems.add(String.join(", ", separate) + " and " + QKV_PROJ
                    + " exclude each other: set the three separate projections or the fused one, not both");
        } else if (present.isEmpty() && !fused) {
            problems.add("set either " + String.join(", ", separate) + " or the fused " + QKV_PROJ
                    + "; both are missing");
        }
        if (qkvSplit != null && !fused) {
            problems.add(QKV_SPLIT + " is set but " + QKV_PROJ + " is not; a split applies to the fused projection");
        }
    }

    private static boolean wellFormed(String path) {
        if (path.isBlank()) {
            return false;
        }
        for (String segment : path.split("\\.", -1)) {
            if (segment.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The configuration names of all methods, comma separated. */
    static String validMethods() {
        List<String> names = new ArrayList<>();
        for (AdapterMethod method : AdapterMethod.values()) {
            names.add(method.configName());
        }
        return String.join(", ", names);
    }
}

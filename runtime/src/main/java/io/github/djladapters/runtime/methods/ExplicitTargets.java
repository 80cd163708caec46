package io.github.djladapters.runtime.methods;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Helpers for {@link PeftFormat#configToSave}: candidate {@code target_modules} from the most
 * PEFT-like (module names such as {@code q_proj}) to the most exact (every module path, then an
 * anchored regex), and a check that a candidate selects exactly the modules holding an adapter.
 */
public final class ExplicitTargets {

    private ExplicitTargets() {}

    /**
     * The module paths of the attachments holding an adapter.
     *
     * @param attachments the attachments
     * @return their paths, sorted
     */
    public static Set<String> paths(List<AdapterAttachment> attachments) {
        Set<String> paths = new TreeSet<>();
        attachments.forEach(a -> paths.add(a.modulePath()));
        return paths;
    }

    /**
     * Whether a candidate config, resolved in this model by its method, selects exactly {@code paths}.
     *
     * @param model the bound model
     * @param candidate the candidate
     * @param paths the wanted module paths
     * @param <C> the config type
     * @return true when it does
     */
    public static <C extends AdapterConfig> boolean selects(BoundModel model, C candidate, Set<String> paths) {
        Set<String> selected = new TreeSet<>();
        try {
            for (TargetModule target : MethodRegistry.forConfig(candidate).targets(candidate, model)) {
                selected.add(target.path());
            }
        } catch (IllegalArgumentException e) {
            return false; // selects nothing, or cannot resolve: try the next candidate
        }
        return selected.equals(paths);
    }

    /**
     * The last segment of each path.
     *
     * @param paths module paths
     * @return leaf names, sorted
     */
    public static Set<String> leafNames(Set<String> paths) {
        Set<String> names = new TreeSet<>();
        for (String path : paths) {
            names.add(path.substring(path.lastIndexOf('.') + 1));
        }
        return names;
    }

    /**
     * The same names, sorted (a regex is kept as it is).
     *
     * @param targets targets
     * @return sorted targets
     */
    public static TargetModules sorted(TargetModules targets) {
        return targets.names() == null ? targets : new TargetModules(new ArrayList<>(new TreeSet<>(targets.names())),
                null);
    }

    /**
     * A full-match regex of exactly these paths, escaped so that Python's {@code re} reads it the same.
     *
     * @param paths module paths
     * @return the regex target
     */
    public static TargetModules anchored(Set<String> paths) {
        List<String> escaped = new ArrayList<>();
        for (String path : paths) {
            StringBuilder quoted = new StringBuilder();
            for (char c : path.toCharArray()) {
                quoted.append(Character.isLetterOrDigit(c) || c == '_' ? "" : "\\").append(c);
            }
            escaped.add(quoted.toString());
        }
        return TargetModules.regex("(" + String.join("|", escaped) + ")");
    }
}

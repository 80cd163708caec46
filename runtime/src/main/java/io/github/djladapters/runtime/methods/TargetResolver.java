package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.bindings.Site;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the modules a {@link TargetSelection} names: by Hugging Face module path as PEFT does, or by
 * declared site role as the adapters library does. Shared by every method that wraps projections.
 */
public final class TargetResolver {

    private static final Pattern ANY_LAYER = Pattern.compile("(?:.*\\.)?[^.]*\\.(\\d+)\\.");

    private TargetResolver() {}

    /**
     * Resolves the targets of a selection.
     *
     * @param model the model
     * @param selection where the adapter goes
     * @return the targets, in module order
     * @throws IllegalArgumentException when nothing matches, or a role has no declared site
     */
    public static List<TargetModule> resolve(BoundModel model, TargetSelection selection) {
        List<TargetModule> targets = selection.targetModules() != null ? byName(model, selection)
                : byRole(model, selection);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("the adapter config selects no module of "
                    + model.model().getClass().getName() + " (" + describe(selection) + "); module paths are "
                    + samplePaths(model));
        }
        return targets;
    }

    private static List<TargetModule> byName(BoundModel model, TargetSelection selection) {
        Map<Block, int[]> sites = siteIndex(model);
        List<TargetModule> targets = new ArrayList<>();
        String wrapperPath = null;
        for (Map.Entry<String, Block> module : model.moduleTree().entrySet()) {
            String path = module.getKey();
            if (path.isEmpty() || (wrapperPath != null && path.startsWith(wrapperPath + "."))) {
                continue; // the model itself, or parts of an existing adapter wrapper
            }
            wrapperPath = module.getValue() instanceof AdapterLayer<?> ? path : wrapperPath;
            if (!selection.targetModules().matches(path)) {
                continue;
            }
            int[] site = sites.get(module.getValue());
            int layer = site != null ? site[0] : layerIndex(path, selection.layersPattern());
            if (!selection.selectsLayer(layer)) {
                continue;
            }
            Site declared = site == null ? null : Site.values()[site[1]];
            targets.add(new TargetModule(path, module.getValue(), layer, declared));
        }
        return targets;
    }

    private static List<TargetModule> byRole(BoundModel model, TargetSelection selection) {
        List<TargetModule> targets = new ArrayList<>();
        for (int layer = 0; layer < model.layerCount(); layer++) {
            if (!selection.selectsLayer(layer)) {
                continue;
            }
            StringBuilder fused = new StringBuilder();
            for (String role : selection.roles()) {
                Site site = siteOf(role);
                if (site == null) {
                    throw new IllegalArgumentException("unknown adapter target role '" + role
                            + "'; roles are q, k, v, o, intermediate, output");
                }
                if (!model.sites().contains(site) && "qkv".contains(role)
                        && model.sites().contains(Site.QKV_PROJ)) {
                    fused.append(role);
                    continue;
                }
                if (!model.sites().contains(site)) {
                    throw new IllegalArgumentException("adapter target role '" + role + "' needs site " + site
                            + (("qkv".contains(role)) ? " or QKV_PROJ" : "") + " declared; the model declares "
                            + model.sites());
                }
                targets.add(target(model, layer, site, null));
            }
            if (fused.length() > 0) {
                String parts = order(fused.toString());
                targets.add(target(model, layer, Site.QKV_PROJ, parts.equals("qkv") ? null : parts));
            }
        }
        return targets;
    }

    private static String order(String parts) {
        StringBuilder ordered = new StringBuilder();
        for (char c : "qkv".toCharArray()) {
            if (parts.indexOf(c) >= 0) {
                ordered.append(c);
            }
        }
        return ordered.toString();
    }

    private static TargetModule target(BoundModel model, int layer, Site site, String fusedParts) {
        String path = model.modulePath(layer, site);
        Block block = model.block(layer, site);
        if (fusedParts == null) {
            return new TargetModule(path, block, layer, site);
        }
        Block base = block instanceof AdapterLayer<?> wrapper ? wrapper.base() : block;
        int[] sizes = model.qkvSplit(site).sizes(LinearBase.of(base, path).outFeatures());
        return new TargetModule(path, block, layer, site, fusedParts, sizes);
    }

    private static Site siteOf(String role) {
        return switch (role) {
            case "q" -> Site.Q_PROJ;
            case "k" -> Site.K_PROJ;
            case "v" -> Site.V_PROJ;
            case "o" -> Site.O_PROJ;
            case "intermediate" -> Site.INTERMEDIATE_PROJ;
            case "output" -> Site.OUTPUT_PROJ;
            default -> null;
        };
    }

    /** Block to {layer, site ordinal} for every declared site. */
    private static Map<Block, int[]> siteIndex(BoundModel model) {
        Map<Block, int[]> index = new IdentityHashMap<>();
        for (int layer = 0; layer < model.layerCount(); layer++) {
            for (Site site : model.sites()) {
                index.putIfAbsent(model.block(layer, site), new int[] {layer, site.ordinal()});
            }
        }
        return index;
    }

    /**
     * The layer index in a module path, by PEFT's rule (the number after a name, or after one of
     * {@code layersPattern}), also accepted at the start of the path.
     *
     * @param path a module path
     * @param layersPattern names that precede the index, or null for any
     * @return the index, or -1
     */
    static int layerIndex(String path, List<String> layersPattern) {
        List<Pattern> patterns = new ArrayList<>();
        if (layersPattern == null || layersPattern.isEmpty()) {
            patterns.add(ANY_LAYER);
        } else {
            for (String name : layersPattern) {
                patterns.add(Pattern.compile("(?:.*\\.)?" + name + "\\.(\\d+)\\."));
            }
        }
        for (Pattern pattern : patterns) {
            Matcher m = pattern.matcher(path);
            if (m.lookingAt()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return -1;
    }

    private static String describe(TargetSelection s) {
        return s.targetModules() != null ? "target_modules " + s.targetModules().toJson()
                : "roles " + s.roles() + ", layers_to_transform " + s.layersToTransform() + ", leave_out "
                        + s.leaveOut();
    }

    private static List<String> samplePaths(BoundModel model) {
        List<String> paths = new ArrayList<>(model.moduleTree().keySet());
        paths.remove("");
        return paths.size() > 20 ? paths.subList(0, 20) : paths;
    }
}

package io.github.djladapters.runtime.composition;

import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.CompositionKind;
import io.github.djladapters.runtime.methods.MethodProvider;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.OutputShare;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns a setup into a {@link CompositionPlan} after every check, so that a setup that cannot run
 * fails here, before anything is activated: the nesting rules ({@link CompositionRules}), every
 * adapter known, and every adapter's method able to take part in each block it sits in
 * ({@link MethodProvider#compositions()}, {@link MethodProvider#checkComposition}).
 */
public final class CompositionPlanner {

    private static final String TABLE = "see docs/methods/composition.md";

    private CompositionPlanner() {}

    /**
     * Checks and plans a setup.
     *
     * @param setup the setup
     * @param configs the config of each adapter name; throws for an unknown name
     * @return the plan
     * @throws IllegalArgumentException naming the block and the adapter or method that cannot take part
     */
    public static CompositionPlan plan(Composition setup, Function<String, AdapterConfig> configs) {
        CompositionRules.check(setup);
        Map<String, AdapterConfig> known = new LinkedHashMap<>();
        for (String name : setup.adapterNames()) {
            known.put(name, configs.apply(name));
        }
        checkMethods(setup, setup, known);
        List<String> names = new ArrayList<>();
        Map<String, OutputShare> shares = new LinkedHashMap<>();
        collect(setup, null, names, shares);
        boolean routed = setup instanceof Parallel || setup instanceof BatchSplit;
        String fusion = setup instanceof Fuse fuse ? fusionName(fuse) : null;
        AdapterActivation.Choice choice = new AdapterActivation.Choice(names, shares, routed, setup, fusion);
        List<String> branches = routed ? setup.children().stream().map(c -> ((AdapterRef) c).name()).toList()
                : List.of();
        List<Integer> sizes = setup instanceof BatchSplit split ? split.batchSizes() : List.of();
        return new CompositionPlan(setup, choice, branches, sizes);
    }

    /**
     * The library's name of a fusion: its adapters joined by commas.
     *
     * @param fuse the block
     * @return for example {@code a,b,c}
     */
    public static String fusionName(Fuse fuse) {
        return String.join(",", fuse.adapterNames());
    }

    /** The kind of a block; null for a single adapter. */
    static CompositionKind kind(Composition block) {
        if (block instanceof Stack) {
            return CompositionKind.STACK;
        } else if (block instanceof Parallel) {
            return CompositionKind.PARALLEL;
        } else if (block instanceof BatchSplit) {
            return CompositionKind.BATCH_SPLIT;
        } else if (block instanceof Average) {
            return CompositionKind.AVERAGE;
        } else if (block instanceof Split) {
            return CompositionKind.SPLIT;
        } else if (block instanceof Fuse) {
            return CompositionKind.FUSE;
        }
        return null;
    }

    private static void checkMethods(Composition block, Composition setup, Map<String, AdapterConfig> configs) {
        CompositionKind kind = kind(block);
        if (kind == null) {
            return;
        }
        Map<MethodProvider<AdapterConfig>, Map<String, AdapterConfig>> byMethod = new LinkedHashMap<>();
        for (String name : block.adapterNames()) {
            AdapterConfig config = configs.get(name);
            byMethod.computeIfAbsent(MethodRegistry.forConfig(config), m -> new LinkedHashMap<>()).put(name, config);
        }
        // Average and Split give every adapter under them a weight or a range of positions; the other
        // blocks combine something only with several children (a Stack: several of one method)
        boolean shares = kind == CompositionKind.AVERAGE || kind == CompositionKind.SPLIT;
        if (shares || block.children().size() > 1) {
            byMethod.forEach((method, group) -> {
                if (kind == CompositionKind.STACK && group.size() < 2) {
                    return;
                }
                if (!method.compositions().contains(kind)) {
                    throw new IllegalArgumentException(kind.blockName() + " cannot take adapter" + plural(group.keySet())
                            + " " + quoted(group.keySet()) + " of method " + method.name() + " (in " + setup + "): "
                            + method.name() + " adapters take part in " + blocks(method.compositions()) + "; " + TABLE);
                }
                if (kind == CompositionKind.AVERAGE || kind == CompositionKind.SPLIT || kind == CompositionKind.FUSE) {
                    group.forEach((name, config) -> {
                        if (config.modulesToSave() != null && !config.modulesToSave().isEmpty()) {
                            throw new IllegalArgumentException(kind.blockName() + " cannot take adapter '" + name
                                    + "' (in " + setup + "): it has its own copy of modules " + config.modulesToSave()
                                    + " (modules_to_save), whose outputs are not combined");
                        }
                    });
                }
                method.checkComposition(kind, group);
            });
        }
        block.children().forEach(child -> checkMethods(child, setup, configs));
    }

    private static void collect(Composition block, OutputShare outer, List<String> names,
            Map<String, OutputShare> shares) {
        if (block instanceof AdapterRef ref) {
            names.add(ref.name());
            if (outer != null) {
                shares.put(ref.name(), outer);
            }
            return;
        }
        List<Composition> children = block.children();
        int position = 0;
        for (int i = 0; i < children.size(); i++) {
            OutputShare share = outer;
            if (block instanceof Average average) {
                share = combine(outer, OutputShare.weighted(average.weights().get(i)));
            } else if (block instanceof Split split) {
                int length = split.splits().get(i);
                share = combine(outer, new OutputShare(1.0, position, position + length));
                position += length;
            }
            collect(children.get(i), share, names, shares);
        }
    }

    private static OutputShare combine(OutputShare outer, OutputShare inner) {
        return outer == null ? inner : outer.and(inner);
    }

    private static String plural(Set<String> names) {
        return names.size() == 1 ? "" : "s";
    }

    private static String quoted(Set<String> names) {
        return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
    }

    private static String blocks(Set<CompositionKind> kinds) {
        return kinds.stream().map(CompositionKind::blockName).collect(Collectors.joining(", "));
    }
}

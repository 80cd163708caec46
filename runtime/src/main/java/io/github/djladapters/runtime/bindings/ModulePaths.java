package io.github.djladapters.runtime.bindings;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one place that maps a DJL block tree to Hugging Face style module paths. DJL stores a child
 * added as {@code addChildBlock("query", b)} under the key {@code 01query}: its module name is the
 * key without that position prefix, and a module path joins the names from the root with dots
 * ({@code encoder.layer.0.attention.self.query}).
 */
public final class ModulePaths {

    private ModulePaths() {}

    /**
     * The module name of the child at {@code index} in a DJL child list.
     *
     * @param key the DJL key, such as {@code 01query}
     * @param index the child's position, from 0
     * @return the name without DJL's position prefix, such as {@code query}
     */
    public static String childName(String key, int index) {
        String prefix = String.format(Locale.ROOT, "%02d", index + 1);
        if (key.startsWith(prefix)) {
            return key.substring(prefix.length());
        }
        return key; // not a key DJL numbered: keep it whole
    }

    /**
     * The named children of a block, in order, without DJL's prefixes.
     *
     * @param block a block
     * @return module name to child block
     */
    public static Map<String, Block> children(Block block) {
        PairList<String, Block> list = block.getChildren();
        Map<String, Block> named = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Pair<String, Block> child = list.get(i);
            named.put(childName(child.getKey(), i), child.getValue());
        }
        return named;
    }

    /**
     * Every block below {@code root} by module path, in depth-first order; the root itself is
     * {@code ""}.
     *
     * @param root the model
     * @return module path to block
     */
    public static Map<String, Block> all(Block root) {
        Map<String, Block> paths = new LinkedHashMap<>();
        collect(root, "", paths);
        return paths;
    }

    /**
     * Every parameter below {@code root} by Hugging Face tensor name: the module path of the block
     * that owns it plus its local name ({@code encoder.layer.0.attention.self.query} + {@code weight}),
     * depth first. A parameter of {@code root} itself is named by its local name alone.
     *
     * @param root a block whose children are registered under Hugging Face module names and whose
     *     parameters are named as in PyTorch ({@code weight}, {@code bias})
     * @return tensor name to parameter
     */
    public static Map<String, Parameter> parameters(Block root) {
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (Map.Entry<String, Block> module : all(root).entrySet()) {
            String path = module.getKey();
            for (Pair<String, Parameter> parameter : module.getValue().getDirectParameters()) {
                String local = parameter.getValue().getName();
                named.put(path.isEmpty() ? local : path + "." + local, parameter.getValue());
            }
        }
        return named;
    }

    private static void collect(Block block, String path, Map<String, Block> into) {
        into.put(path, block);
        for (Map.Entry<String, Block> child : children(block).entrySet()) {
            collect(child.getValue(), path.isEmpty() ? child.getKey() : path + "." + child.getKey(), into);
        }
    }

    /**
     * The module path of {@code target} below {@code root}, found by identity.
     *
     * @param root the model
     * @param target a block registered somewhere below it with {@code addChildBlock}
     * @return its module path ({@code ""} when it is the root)
     * @throws IllegalArgumentException when the block is not in the tree
     */
    public static String pathOf(Block root, Block target) {
        List<String> names = new ArrayList<>();
        if (!find(root, target, names)) {
            throw new IllegalArgumentException("block " + target.getClass().getSimpleName()
                    + " is not a registered child of " + root.getClass().getSimpleName()
                    + " (register it with addChildBlock so adapters can name and replace it)");
        }
        return String.join(".", names);
    }

    private static boolean find(Block block, Block target, List<String> names) {
        if (block == target) {
            return true;
        }
        for (Map.Entry<String, Block> child : children(block).entrySet()) {
            names.add(child.getKey());
            if (find(child.getValue(), target, names)) {
                return true;
            }
            names.remove(names.size() - 1);
        }
        return false;
    }

    /**
     * Follows a dotted child-name path from {@code from}. A child name may itself contain dots; the
     * longest matching name wins at each step.
     *
     * @param from the block the path is relative to
     * @param path a dotted path such as {@code mlp.up_proj}
     * @return the block at that path
     * @throws IllegalArgumentException naming the step that failed and the children that exist there
     */
    public static Block resolve(Block from, String path) {
        List<Block> chain = resolveChain(from, path);
        return chain.get(chain.size() - 1);
    }

    /**
     * Follows a dotted child-name path from {@code from} and returns every block on the way, so that
     * callers can find the owner of the last step (the element before the last).
     *
     * @param from the block the path is relative to
     * @param path a dotted path such as {@code mlp.up_proj}; {@code ""} names {@code from} itself
     * @return {@code from}, then the block reached by each step, in order
     * @throws IllegalArgumentException naming the step that failed and the children that exist there
     */
    public static List<Block> resolveChain(Block from, String path) {
        List<Block> chain = new ArrayList<>();
        chain.add(from);
        Block current = from;
        String rest = path;
        String walked = "";
        while (!rest.isEmpty()) {
            Map<String, Block> children = children(current);
            String match = null;
            for (String name : children.keySet()) {
                boolean fits = rest.equals(name) || rest.startsWith(name + ".");
                if (fits && (match == null || name.length() > match.length())) {
                    match = name;
                }
            }
            if (match == null) {
                String first = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
                throw new IllegalArgumentException("path '" + path + "': "
                        + current.getClass().getSimpleName() + (walked.isEmpty() ? "" : " at '" + walked + "'")
                        + " has no child '" + first + "'; its children are " + children.keySet());
            }
            current = children.get(match);
            chain.add(current);
            walked = walked.isEmpty() ? match : walked + "." + match;
            rest = rest.length() == match.length() ? "" : rest.substring(match.length() + 1);
        }
        return chain;
    }
}

package io.github.djladapters.runtime.composition;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A setup of active adapters, as the Adapters library's {@code adapters.composition} writes it: a
 * single adapter, or a block ({@link Stack}, {@link Parallel}, {@link BatchSplit}, {@link Average},
 * {@link Split}, {@link Fuse}) over adapters and nested blocks.
 *
 * <pre>{@code
 * adapters.setActiveAdapters(Stack.of("lang_de", "task_ner"));
 * adapters.setActiveAdapters(Parallel.of("sentiment", "topic"));
 * adapters.setActiveAdapters(Average.of(List.of(0.1, 0.6, 0.3), "m", "n", "o"));
 * adapters.setActiveAdapters(Stack.of(Composition.adapter("lang_de"), Average.of(List.of(1.0, 1.0), "a", "b")));
 * }</pre>
 */
public sealed interface Composition permits AdapterRef, Stack, Parallel, BatchSplit, Average, Split, Fuse {

    /**
     * One adapter, to nest among blocks.
     *
     * @param name the adapter name
     * @return the leaf
     */
    static Composition adapter(String name) {
        return new AdapterRef(name);
    }

    /**
     * The block's children; empty for a single adapter.
     *
     * @return the children, in order
     */
    List<Composition> children();

    /**
     * The block's name as the Adapters library spells its class, or the adapter's name.
     *
     * @return for example {@code Stack}
     */
    String blockName();

    /**
     * Every adapter named in the setup.
     *
     * @return names, in first-seen order
     */
    default Set<String> adapterNames() {
        Set<String> names = new LinkedHashSet<>();
        if (this instanceof AdapterRef ref) {
            names.add(ref.name());
        }
        children().forEach(child -> names.addAll(child.adapterNames()));
        return names;
    }

    /**
     * Wraps names as leaves.
     *
     * @param names adapter names
     * @return one leaf per name
     */
    static List<Composition> leaves(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("a composition block needs at least one adapter");
        }
        return java.util.Arrays.stream(names).<Composition>map(AdapterRef::new).toList();
    }

    /**
     * The library's way of writing a block: {@code Stack[a, Average[b, c]]}.
     *
     * @param block the block name
     * @param children its children
     * @return the text
     */
    static String describe(String block, List<Composition> children) {
        return block + children.stream().map(Object::toString).toList().toString();
    }
}

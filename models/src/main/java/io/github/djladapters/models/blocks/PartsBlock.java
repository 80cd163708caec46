package io.github.djladapters.models.blocks;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import java.util.EnumMap;
import java.util.Map;

/**
 * A block whose children each play one part of {@code P} (a norm, an attention, a projection), for
 * base classes that run the same sub-blocks in several architectures. The subclass registers each
 * part with {@link #addPart} under its checkpoint name and keeps the returned block in its own
 * role-annotated field, where the generated adapter bindings find and replace it; this class reads
 * a part back from DJL's child list ({@link #part}), where those bindings swap the child in place,
 * so the base always runs the current block and the subclass writes no accessors.
 *
 * <pre>{@code
 * ln_1 = addPart(Part.ATTENTION_NORM, "ln_1", new LayerNorm(hidden, eps));
 * ...
 * NDArray normed = part(Part.ATTENTION_NORM).forward(ps, new NDList(x), training, params).head();
 * }</pre>
 *
 * @param <P> the parts
 */
public abstract class PartsBlock<P extends Enum<P>> extends AbstractBlock {

    private final Map<P, Integer> childIndex;

    /**
     * A block with no parts registered yet.
     *
     * @param parts the enum of parts
     */
    protected PartsBlock(Class<P> parts) {
        childIndex = new EnumMap<>(parts);
    }

    /**
     * Registers a part as a child under its checkpoint name; call once per part from the constructor.
     *
     * @param <B> the block type
     * @param part the part it plays
     * @param name the child name
     * @param block the block
     * @return {@code block}, to keep in the subclass's field
     * @throws IllegalStateException when the part is registered already
     */
    protected final <B extends Block> B addPart(P part, String name, B block) {
        if (childIndex.containsKey(part)) {
            throw new IllegalStateException(getClass().getSimpleName() + " registers its " + part + " twice");
        }
        B added = addChildBlock(name, block);
        childIndex.put(part, children.size() - 1);
        return added;
    }

    /**
     * The block that plays a part now: as registered, or the adapter wrapper that replaced it.
     *
     * @param part the part
     * @return the child at the part's place
     * @throws IllegalStateException when the subclass registered no such part
     */
    protected final Block part(P part) {
        Integer index = childIndex.get(part);
        if (index == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " registers no " + part
                    + "; add it with addPart");
        }
        return children.valueAt(index);
    }
}

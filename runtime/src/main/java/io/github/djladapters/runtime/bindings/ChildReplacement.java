package io.github.djladapters.runtime.bindings;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Swaps a child block in DJL's child list of its owner. DJL has no public call for this
 * ({@code AbstractBlock.children} is protected and {@code getChildren()} returns a copy), so this is
 * the one place that reaches into it; generated bindings assign the owner's field themselves and
 * call {@link #replaceChild} so that parameter listing, freezing, initialisation and saving see the
 * new block under the old name.
 */
public final class ChildReplacement {

    private static final Field CHILDREN = childrenField();

    private ChildReplacement() {}

    /**
     * Puts {@code with} where {@code old} is in {@code owner}'s child list, under the same name.
     *
     * @param owner the block that registered {@code old} with {@code addChildBlock}
     * @param old the current child
     * @param with the replacement
     * @throws IllegalArgumentException when {@code old} is not a direct child of {@code owner}
     */
    public static void replaceChild(Block owner, Block old, Block with) {
        BlockList children = childList(owner);
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == old) {
                String key = children.keyAt(i);
                children.remove(i);
                children.add(i, key, with);
                return;
            }
        }
        throw new IllegalArgumentException(describe(old) + " is not a registered child of "
                + owner.getClass().getName() + "; register it with addChildBlock so adapters can replace it");
    }

    /**
     * Replaces {@code old} in {@code owner}'s child list and in every instance field of
     * {@code owner} that holds it. Used for models declared by child-name paths, whose fields the
     * runtime does not know at compile time.
     *
     * @param owner the block that registered {@code old}
     * @param old the current child
     * @param with the replacement
     * @throws IllegalArgumentException when {@code old} is not a direct child, or a field holding
     *     it cannot take {@code with}
     */
    public static void replaceChildAndFields(Block owner, Block old, Block with) {
        replaceChildAndFields(owner, old, with, false);
    }

    /**
     * As {@link #replaceChildAndFields(Block, Block, Block)}, optionally leaving fields whose type
     * cannot hold {@code with} on the old block: for a block the owner also keeps under its concrete
     * type for another use (a decoder's token table, read again by a tied LM head).
     *
     * @param owner the block that registered {@code old}
     * @param old the current child
     * @param with the replacement
     * @param keepNarrowFields whether fields that cannot hold {@code with} keep {@code old} instead of failing
     */
    public static void replaceChildAndFields(Block owner, Block old, Block with, boolean keepNarrowFields) {
        childList(owner); // fail before touching anything when the owner is not an AbstractBlock
        List<Field> holding = new java.util.ArrayList<>(fieldsHolding(owner, old));
        if (keepNarrowFields) {
            holding.removeIf(field -> !field.getType().isInstance(with));
        }
        for (Field field : holding) {
            if (!field.getType().isInstance(with)) {
                throw new IllegalArgumentException("field " + field.getDeclaringClass().getName() + "."
                        + field.getName() + " has type " + field.getType().getName()
                        + " and cannot hold a " + with.getClass().getName());
            }
        }
        replaceChild(owner, old, with);
        for (Field field : holding) {
            try {
                field.set(owner, with);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot write " + field, e);
            }
        }
    }

    private static List<Field> fieldsHolding(Block owner, Block old) {
        List<Field> holding = new ArrayList<>();
        for (Class<?> type = owner.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    if (field.get(owner) == old) {
                        holding.add(field);
                    }
                } catch (IllegalAccessException | RuntimeException e) {
                    throw new IllegalStateException("cannot read " + field, e);
                }
            }
        }
        return holding;
    }

    private static BlockList childList(Block owner) {
        if (!(owner instanceof AbstractBlock)) {
            throw new IllegalArgumentException(owner.getClass().getName()
                    + " does not extend AbstractBlock; its children cannot be replaced");
        }
        try {
            return (BlockList) CHILDREN.get(owner);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read DJL's child list", e);
        }
    }

    private static String describe(Block block) {
        return block == null ? "null" : "block " + block.getClass().getName();
    }

    private static Field childrenField() {
        try {
            Field field = AbstractBlock.class.getDeclaredField("children");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError("this DJL version has no AbstractBlock.children: " + e);
        }
    }
}

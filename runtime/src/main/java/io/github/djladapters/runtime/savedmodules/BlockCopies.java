package io.github.djladapters.runtime.savedmodules;

import io.github.djladapters.runtime.architecture.CopyableBlock;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.djladapters.runtime.bindings.ModulePaths;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Deep copies of blocks, for {@code modules_to_save}. DJL has no generic clone, so a copy is made in
 * two steps: a new, uninitialised instance of the same structure, then DJL's own
 * {@code saveParameters} of the original read back by {@code loadParameters} of the new instance (a
 * real copy of every array, with the input shapes, so the copy is initialised).
 *
 * <p>The new instance comes from, in order: the block itself when it implements {@link CopyableBlock};
 * a factory {@link #register registered} for its exact class; the built-in factory for DJL's
 * {@link Linear} (the models' {@code FlatLinear}, a subclass, is a {@link CopyableBlock}). Other blocks
 * are refused with a message saying how to make them copyable.
 */
public final class BlockCopies {

    private static final Map<Class<?>, Function<Block, Block>> FACTORIES = new ConcurrentHashMap<>();

    static {
        register(Linear.class, BlockCopies::newLinear);
    }

    private BlockCopies() {}

    /**
     * Registers how to build a new, uninitialised instance of a block class that cannot implement
     * {@link CopyableBlock} (a class of DJL or of another library), replacing any earlier factory.
     *
     * @param type the exact block class (subclasses are not covered)
     * @param newInstance builds an instance with the same structure as the given one
     * @param <B> the block class
     */
    public static <B extends Block> void register(Class<B> type, Function<? super B, ? extends Block> newInstance) {
        Objects.requireNonNull(newInstance, "newInstance");
        FACTORIES.put(type, block -> newInstance.apply(type.cast(block)));
    }

    /**
     * Whether {@link #copy} can copy a block.
     *
     * @param block a block
     * @return true when it implements {@link CopyableBlock} or a factory is known for its class
     */
    public static boolean copyable(Block block) {
        return block instanceof CopyableBlock || FACTORIES.containsKey(block.getClass());
    }

    /**
     * A deep copy of an initialised block: a new instance holding copies of its parameter arrays,
     * attached to the manager of its first parameter, every parameter trainable.
     *
     * @param original the block to copy
     * @param modulePath its module path, for messages
     * @return the copy
     * @throws IllegalArgumentException when the block cannot be copied, naming the module and how to
     *     make it copyable
     * @throws IllegalStateException when the block is not initialised, or the new instance does not
     *     have its structure
     */
    public static Block copy(Block original, String modulePath) {
        if (!copyable(original)) {
            throw new IllegalArgumentException("module '" + modulePath + "' is a " + original.getClass().getName()
                    + ", which modules_to_save cannot copy: DJL has no generic clone. Implement "
                    + CopyableBlock.class.getName() + " on it, or register a factory with "
                    + BlockCopies.class.getName() + ".register; built in: " + List.of(Linear.class.getName()));
        }
        Map<String, Parameter> originals = ModulePaths.parameters(original);
        if (originals.isEmpty()) {
            throw new IllegalArgumentException("module '" + modulePath + "' has no parameters; there is nothing to"
                    + " train in a copy of it");
        }
        if (!original.isInitialized()) {
            throw new IllegalStateException("module '" + modulePath + "' is not initialised; load or initialise the"
                    + " model before adding an adapter with modules_to_save");
        }
        Block fresh = newInstance(original, modulePath);
        NDManager manager = originals.values().iterator().next().getArray().getManager();
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                original.saveParameters(out);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                fresh.loadParameters(manager, in);
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            fresh.getParameters().values().forEach(Parameter::close);
            throw new IllegalStateException("cannot copy module '" + modulePath + "' (" + original.getClass().getName()
                    + "): its new instance does not load its parameters: " + e.getMessage(), e);
        }
        checkSameStructure(originals, ModulePaths.parameters(fresh), fresh, modulePath);
        fresh.getParameters().values().forEach(p -> p.freeze(false));
        return fresh;
    }

    private static Block newInstance(Block original, String modulePath) {
        Block fresh = original instanceof CopyableBlock copyable ? copyable.newInstance()
                : FACTORIES.get(original.getClass()).apply(original);
        if (fresh == null || fresh == original || fresh.getClass() != original.getClass()) {
            throw new IllegalStateException("module '" + modulePath + "': the new instance for a "
                    + original.getClass().getName() + " must be a new block of the same class, got "
                    + (fresh == null ? "null" : fresh == original ? "the block itself" : fresh.getClass().getName()));
        }
        return fresh;
    }

    private static void checkSameStructure(Map<String, Parameter> originals, Map<String, Parameter> copies, Block fresh,
            String modulePath) {
        boolean same = originals.keySet().equals(copies.keySet());
        for (Map.Entry<String, Parameter> entry : originals.entrySet()) {
            Parameter copy = copies.get(entry.getKey());
            same &= copy != null && copy.isInitialized()
                    && copy.getArray().getShape().equals(entry.getValue().getArray().getShape());
        }
        if (!same) {
            fresh.getParameters().values().forEach(Parameter::close);
            throw new IllegalStateException("cannot copy module '" + modulePath + "': its new instance has parameters "
                    + copies.keySet() + ", the module has " + originals.keySet());
        }
    }

    /** DJL's {@link Linear}: the output size from the weight's shape, a bias when the original has one. */
    private static Block newLinear(Block linear) {
        Map<String, Parameter> parameters = ModulePaths.parameters(linear);
        Parameter weight = parameters.get("weight");
        if (weight == null || !weight.isInitialized()) {
            throw new IllegalStateException("a Linear without an initialised weight cannot be copied");
        }
        Parameter bias = parameters.get("bias");
        return Linear.builder().setUnits(weight.getArray().getShape().get(0)).optBias(bias != null).build();
    }
}

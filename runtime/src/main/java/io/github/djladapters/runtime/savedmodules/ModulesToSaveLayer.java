package io.github.djladapters.runtime.savedmodules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.NamedParameterLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PEFT's {@code ModulesToSaveWrapper}: a module listed in an adapter's {@code modules_to_save}, holding
 * the original block as {@code base_layer} and, per adapter, a trainable deep copy of it (made by
 * {@link BlockCopies}) as a child named after the adapter.
 *
 * <ul>
 *   <li>Forward runs the original when adapters are disabled or no active adapter has a copy here,
 *       and the active adapter's copy otherwise. Two active adapters with a copy here are an error,
 *       as in PEFT.
 *   <li>Per-row routing ({@code AdapterModel.forward(inputs, rowAdapters)}) runs the original and each
 *       routed adapter's copy on the whole batch and keeps each output row from its own adapter's
 *       block (PEFT runs sub-batches instead; the rows come out the same for blocks that treat rows
 *       independently, as heads do). Every output must have the batch on axis 0.
 *   <li>Merging does not touch this layer ({@link #mergeable()} is false); the copy stays in use.
 *   <li>Tensors: the copy's parameters under their Hugging Face names relative to the module
 *       ({@code weight}, {@code bias}, {@code dense.weight}, ...), so that a file holds PEFT's
 *       {@code base_model.model.<module path>.<param>}.
 * </ul>
 */
public final class ModulesToSaveLayer extends NamedParameterLayer<Block> {

    /**
     * Wraps a module.
     *
     * @param original the block now at the module
     * @param modulePath the module's Hugging Face path
     * @param activation the model's shared activation state
     */
    public ModulesToSaveLayer(Block original, String modulePath, AdapterActivation activation) {
        super(original, modulePath, activation, "modules_to_save copies");
    }

    /**
     * Gives an adapter its own trainable copy of the original block.
     *
     * @param name the adapter name
     * @throws IllegalArgumentException when the block cannot be copied or the adapter is here already
     */
    public void add(String name) {
        if (adapterNames().contains(name)) {
            throw new IllegalArgumentException("module '" + modulePath() + "' already holds adapter '" + name + "'");
        }
        putAdapter(name, BlockCopies.copy(base(), modulePath()));
    }

    /**
     * Takes one adapter's copy out of this layer without freeing it, for putting it into the model in
     * place of this layer ({@code mergeAndUnload}).
     *
     * @param name the adapter name
     * @return its copy, or null when this layer holds none for it
     */
    public Block detach(String name) {
        return detachAdapter(name);
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<Block>> uses) {
        List<String> everyRow = new ArrayList<>();
        for (AdapterUse<Block> use : uses) {
            if (use.rowMask() == null) {
                everyRow.add(use.name());
            }
        }
        if (everyRow.size() > 1) {
            throw new IllegalStateException("adapters " + everyRow + " each have their own copy of '" + modulePath()
                    + "' (modules_to_save) and are active together; only one such adapter can be active at a time");
        }
        if (everyRow.size() == 1) {
            return uses.get(0).adapter().forward(store, inputs, training, params);
        }
        NDList out = base().forward(store, inputs, training, params);
        for (AdapterUse<Block> use : uses) {
            NDList own = use.adapter().forward(store, inputs, training, params);
            for (int i = 0; i < out.size(); i++) {
                out.set(i, pickRows(use, own.get(i), out.get(i)));
            }
        }
        return out;
    }

    /** {@code own} on the rows of {@code use}, {@code others} elsewhere. */
    private NDArray pickRows(AdapterUse<Block> use, NDArray own, NDArray others) {
        long batch = use.rowMask().getShape().get(0);
        Shape shape = others.getShape();
        if (!own.getShape().equals(shape) || shape.dimension() == 0 || shape.get(0) != batch) {
            throw new IllegalStateException("module '" + modulePath() + "' (modules_to_save) gave an output of shape "
                    + shape + " (its copy: " + own.getShape() + "); routing rows to adapters needs every output of"
                    + " the module to have the batch of " + batch + " on axis 0");
        }
        NDArray rows = use.mask(shape.dimension()).gt(0.5f).broadcast(shape);
        return NDArrays.where(rows, own, others);
    }

    /** The copy's parameters under their Hugging Face names relative to the module. */
    @Override
    protected Map<String, Parameter> namedParameters(Block copy) {
        return ModulePaths.parameters(copy);
    }
}

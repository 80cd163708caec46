package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A wrapper that an adapter method puts at one module in place of its block, holding the wrapped
 * block as child {@code base_layer} (PEFT's name) and one child per adapter, named after it: an
 * {@link AdapterWeights} for methods that add to the base (LoRA, IA3), or a whole trained copy of the
 * block for {@code modules_to_save}.
 * The bookkeeping every method shares lives here: which adapters exist, which the forward applies
 * (activation, or per-row {@link AdapterRouting}), which are merged into the base weights. A method
 * adds only its math: {@link #forwardWith}, {@link #prepareMerge}, {@link #unmerge} and the PEFT
 * tensor names of its weights.
 *
 * @param <A> the method's per-adapter block
 */
public abstract class AdapterLayer<A extends Block> extends AbstractBlock implements AdapterAttachment {

    private final Block base;
    private final String modulePath;
    private final AdapterActivation activation;
    private final HeldAdapters<A> adapters;
    private final List<String> merged = new ArrayList<>();
    private BoundModel placedIn;
    private TargetModule placedAt;
    private boolean installed;

    /**
     * Wraps a block.
     *
     * @param base the block now at the module
     * @param modulePath the module's Hugging Face path, used in tensor names and messages
     * @param activation the model's shared activation state
     */
    protected AdapterLayer(Block base, String modulePath, AdapterActivation activation) {
        this.base = addChildBlock("base_layer", base);
        this.modulePath = modulePath;
        this.activation = activation;
        this.adapters = new HeldAdapters<>(modulePath);
    }

    /**
     * The model's shared activation state, for a layer whose forward reads more of the active choice
     * than its uses (an AdapterFusion layer).
     *
     * @return the activation
     */
    protected final AdapterActivation activation() {
        return activation;
    }

    /**
     * The wrapped block.
     *
     * @return the block that was at the module
     */
    public Block base() {
        return base;
    }

    /**
     * Says where {@link #install()} puts this wrapper: at the target, in place of the block there.
     * A method calls this once, right after creating the wrapper.
     *
     * @param model the bound model
     * @param target the module whose block this wraps
     * @return this
     */
    public final AdapterLayer<A> placeAt(BoundModel model, TargetModule target) {
        this.placedIn = model;
        this.placedAt = target;
        return this;
    }

    /**
     * The wrapper of one kind already at a target, or a new one placed there. A wrapper of another
     * kind there is an error: a module takes one adapter method.
     *
     * @param model the bound model
     * @param target the module
     * @param kind the wrapper class of the method
     * @param create makes a new wrapper around the target's block
     * @param <L> the wrapper type
     * @return the wrapper at the target
     * @throws IllegalArgumentException when another method's wrapper is there
     */
    public static <L extends AdapterLayer<?>> L at(BoundModel model, TargetModule target, Class<L> kind,
            Function<TargetModule, L> create) {
        if (kind.isInstance(target.block())) {
            return kind.cast(target.block());
        }
        if (target.block() instanceof AdapterLayer<?> other) {
            throw new IllegalArgumentException("module '" + target.path() + "' already holds "
                    + other.getClass().getSimpleName() + " adapters " + other.adapterNames()
                    + "; one adapter method per module");
        }
        L layer = create.apply(target);
        layer.placeAt(model, target);
        return layer;
    }

    @Override
    public boolean installed() {
        return installed;
    }

    @Override
    public void install() {
        if (placedIn == null) {
            throw new IllegalStateException("wrapper at '" + modulePath + "' was not placed (placeAt) before install");
        }
        placedIn.replaceModule(placedAt, placedAt.block(), this);
        installed = true;
    }

    @Override
    public void uninstall() {
        uninstall(base);
    }

    /**
     * Takes this wrapper out of the model, putting {@code with} in its place.
     *
     * @param with the block to leave at the module, usually {@link #base()}
     */
    public void uninstall(Block with) {
        if (installed) {
            placedIn.replaceModule(placedAt, this, with);
            installed = false;
        }
    }

    /**
     * The module's Hugging Face path.
     *
     * @return for example {@code layers.0.self_attn.q_proj}
     */
    @Override
    public String modulePath() {
        return modulePath;
    }

    /**
     * The adapters this layer holds, in the order they were added.
     *
     * @return an unmodifiable view
     */
    @Override
    public Set<String> adapterNames() {
        return adapters.names();
    }

    /**
     * One adapter's weights at this layer.
     *
     * @param name the adapter name
     * @return its weights, or null when this layer does not hold it
     */
    public A adapter(String name) {
        return adapters.get(name);
    }

    /**
     * The parameters of one adapter at this layer.
     *
     * @param name the adapter name
     * @return its parameters, empty when this layer does not hold it
     */
    @Override
    public List<Parameter> parameters(String name) {
        return adapters.parameters(name);
    }

    /**
     * Adds an adapter's weights as a child named after the adapter.
     *
     * @param name the adapter name
     * @param weights its weights
     */
    protected final void putAdapter(String name, A weights) {
        adapters.put(name, weights);
        addChildBlock(name, weights);
        adaptersChanged();
    }

    /**
     * Called after this layer's adapters or weights change (an adapter added, removed or released, a
     * merge or unmerge), before any later forward: a method that keeps values derived from its
     * adapters' weights between forwards drops them here. Does nothing unless overridden.
     */
    protected void adaptersChanged() {
    }

    /**
     * Removes an adapter, unmerging it first, and frees its arrays.
     *
     * @param name the adapter name
     */
    @Override
    public void removeAdapter(String name) {
        HeldAdapters.free(detachAdapter(name));
    }

    /**
     * Removes an adapter, unmerging it first, without freeing its arrays: for a caller that goes on
     * using its block.
     *
     * @param name the adapter name
     * @return its block, or null when this layer does not hold it
     */
    protected final A detachAdapter(String name) {
        A weights = adapters.get(name);
        if (weights == null) {
            return null;
        }
        if (merged.contains(name)) {
            unmergeAdapter(name);
        }
        adapters.remove(name);
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == weights) {
                children.remove(i);
                break;
            }
        }
        adaptersChanged();
        return weights;
    }

    /**
     * Frees every adapter's arrays and forgets them, leaving the base weights as they are (merged
     * adapters stay merged). For a layer that has been taken out of the model.
     */
    @Override
    public void release() {
        adaptersChanged();
        adapters.releaseAll();
        merged.clear();
    }

    /**
     * Whether merging an adapter writes into this layer's base weights. False for a layer whose
     * adapters replace the whole block ({@code modules_to_save}): a merge leaves it alone, and it goes
     * on using the active adapter's block while that adapter is merged elsewhere.
     *
     * @return true unless the method overrides it
     */
    @Override
    public boolean mergeable() {
        return true;
    }

    /**
     * The adapters merged into the base weights, oldest first.
     *
     * @return an unmodifiable list
     */
    @Override
    public List<String> mergedAdapters() {
        return Collections.unmodifiableList(merged);
    }

    /**
     * Computes the merge of one adapter without writing it.
     *
     * @param name an adapter this layer holds and has not merged
     * @return the pending merge; {@link PendingMerge#apply()} writes it and records it as merged
     */
    @Override
    public final PendingMerge prepareMerge(String name) {
        A weights = require(name);
        if (merged.contains(name)) {
            throw new IllegalStateException("adapter '" + name + "' is already merged into '" + modulePath + "'");
        }
        PendingMerge pending = prepareMerge(name, weights);
        return new PendingMerge() {
            @Override
            public List<NDArray> newValues() {
                return pending.newValues();
            }

            @Override
            public void apply() {
                pending.apply();
                merged.add(name);
                adaptersChanged();
            }

            @Override
            public void discard() {
                pending.discard();
            }
        };
    }

    /**
     * Takes a merged adapter back out of the base weights. Merges are undone newest first, since a
     * DoRA merge rescales what was merged before it.
     *
     * @param name the most recently merged adapter
     */
    @Override
    public final void unmergeAdapter(String name) {
        if (!merged.contains(name)) {
            return;
        }
        String last = merged.get(merged.size() - 1);
        if (!last.equals(name)) {
            throw new IllegalStateException("adapter '" + last + "' was merged into '" + modulePath + "' after '"
                    + name + "'; unmerge it first");
        }
        unmerge(name, adapters.get(name));
        merged.remove(merged.size() - 1);
        adaptersChanged();
    }

    /**
     * Whether a forward now would run the wrapped block alone: no adapter applies (none active, all
     * active ones merged, or adapters disabled), so the output is {@link #base()}'s. A setup that needs
     * per-row routing outside {@code AdapterModel.forward} says false (the forward would refuse it).
     *
     * @return true when this layer's forward is its base block's forward
     */
    public final boolean runsBaseOnly() {
        try {
            return AdapterUse.select(activation, adapters.byName(), merged).isEmpty();
        } catch (IllegalStateException e) {
            return false;
        }
    }

    @Override
    protected final NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        List<AdapterUse<A>> uses = AdapterUse.select(activation, adapters.byName(), merged);
        if (uses.isEmpty()) {
            return base.forward(store, inputs, training, params);
        }
        return forwardWith(store, inputs, training, params, uses);
    }

    /**
     * The forward with adapters applied.
     *
     * @param store the parameter store
     * @param inputs the inputs of the wrapped block
     * @param training whether training
     * @param params extra parameters, passed to the wrapped block
     * @param uses the adapters to apply, in order, each to all rows or to its rows
     * @return the output
     */
    protected abstract NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<A>> uses);

    /**
     * Computes the base weights with one adapter merged in.
     *
     * @param name the adapter name
     * @param weights its weights
     * @return the pending writes
     */
    protected abstract PendingMerge prepareMerge(String name, A weights);

    /**
     * Restores the base weights from before one adapter's merge.
     *
     * @param name the adapter name
     * @param weights its weights
     */
    protected abstract void unmerge(String name, A weights);

    /**
     * One adapter's tensors under PEFT's names relative to this module, adapter name removed.
     *
     * @param name the adapter name
     * @param manager receives copies of the tensors
     * @return for example {@code lora_A.weight -> [r, in]}, in PEFT's order
     */
    @Override
    public abstract Map<String, NDArray> exportTensors(String name, NDManager manager);

    /**
     * The shapes {@link #importTensor} expects.
     *
     * @param name the adapter name
     * @return PEFT suffix to shape, in the order of {@link #exportTensors}
     */
    @Override
    public abstract Map<String, Shape> tensorShapes(String name);

    /**
     * Sets one tensor of one adapter; the caller has checked its shape against {@link #tensorShapes}.
     *
     * @param name the adapter name
     * @param suffix the PEFT suffix, such as {@code lora_B.weight}
     * @param value the values
     */
    @Override
    public abstract void importTensor(String name, String suffix, NDArray value);

    /**
     * The weights of an adapter this layer must hold.
     *
     * @param name the adapter name
     * @return its weights
     */
    protected final A require(String name) {
        return adapters.require(name);
    }

    /**
     * Gives a parameter new values, as {@link ParameterTensors#overwrite(Parameter, NDArray)}.
     *
     * @param parameter a base or adapter parameter
     * @param value the new values, same shape
     */
    protected static void overwrite(Parameter parameter, NDArray value) {
        ParameterTensors.overwrite(parameter, value);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        base.initialize(manager, dataType, inputShapes);
    }
}

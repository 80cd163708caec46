package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Set;

/**
 * An attachment installed on a hook point that is not a block: the model's inputs (prompt tuning,
 * through {@link io.github.djladapters.runtime.architecture.InputExtendingModel}) or an attention block's
 * keys and values (prefix tuning, through
 * {@link io.github.djladapters.runtime.architecture.KeyValueAttention}). It keeps the adapters held at its
 * place and what {@link #uses()} applies in this forward; a method adds {@link #install()} and
 * {@link #uninstall()} (set and clear the extension), the extension's math, and its tensor names.
 *
 * <p>The weights are not children of any model block, so DJL's parameter listing of the model does
 * not see them; the {@code AdapterModel} facade counts, freezes and saves them through
 * {@link #parameters(String)}. Create their arrays on the model's device (the manager of a model
 * parameter).
 *
 * @param <A> the method's per-adapter weights
 */
public abstract class AdapterHook<A extends Block> implements AdapterAttachment {

    private final String modulePath;
    private final AdapterActivation activation;
    private final HeldAdapters<A> adapters;
    private boolean installed;

    /**
     * A hook with no adapters yet.
     *
     * @param modulePath the hook point's module path, the prefix of its tensor keys
     * @param activation the model's shared activation state
     */
    protected AdapterHook(String modulePath, AdapterActivation activation) {
        this.modulePath = modulePath;
        this.activation = activation;
        this.adapters = new HeldAdapters<>(modulePath);
    }

    @Override
    public String modulePath() {
        return modulePath;
    }

    @Override
    public Set<String> adapterNames() {
        return adapters.names();
    }

    /**
     * One adapter's weights here.
     *
     * @param name the adapter
     * @return its weights, or null when not held here
     */
    public A adapter(String name) {
        return adapters.get(name);
    }

    /**
     * Adds an adapter's weights.
     *
     * @param name the adapter
     * @param weights its weights
     */
    public void putAdapter(String name, A weights) {
        adapters.put(name, weights);
    }

    @Override
    public List<Parameter> parameters(String name) {
        return adapters.parameters(name);
    }

    @Override
    public void removeAdapter(String name) {
        HeldAdapters.free(adapters.remove(name));
    }

    @Override
    public void release() {
        adapters.releaseAll();
    }

    /**
     * The adapters this forward applies here (none while disabled; per-row routing respected).
     *
     * @return the uses, in order
     */
    protected List<AdapterUse<A>> uses() {
        return AdapterUse.select(activation, adapters.byName(), List.of());
    }

    @Override
    public final boolean installed() {
        return installed;
    }

    @Override
    public final void install() {
        installHook();
        installed = true;
    }

    @Override
    public final void uninstall() {
        if (installed) {
            uninstallHook();
            installed = false;
        }
    }

    /** Sets this hook's extension on its hook point. */
    protected abstract void installHook();

    /** Clears this hook's extension from its hook point. */
    protected abstract void uninstallHook();
}

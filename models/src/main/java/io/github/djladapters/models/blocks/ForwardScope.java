package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.engine.JavaBackedArrays;
import java.util.function.Function;

/**
 * Where a forward pass keeps its intermediate arrays. For inference, a sub-manager of the caller's,
 * closed at the end of the pass so the intermediates are freed at once. While training, the
 * caller's manager itself, so that whatever the backward pass reads stays open until the caller
 * closes its manager after {@code backward} (arrays that DJL builds over Java buffers are freed
 * with their handle; see also {@code Scalars} in the runtime for constants).
 *
 * <p>A layer scope ({@link #openLayer}, {@link #runLayer}) frees its intermediates at its end in
 * training too, as PyTorch frees a temporary once Python drops it: closing the handle of an array
 * that libtorch allocated is safe while autograd still needs it (autograd holds its own reference
 * to what it saved), so only the layer's output and what autograd saved stay alive until
 * {@code backward}. Arrays over a Java buffer ({@code manager.create(float[])} and kin) are the
 * exception: their memory would be freed under autograd, so a training scope hands every such
 * array to the caller's manager instead of closing it ({@link JavaBackedArrays}). Inside
 * {@link #keepingLayerIntermediates} a training layer scope keeps everything in the caller's manager
 * instead, as every training pass did before layer scopes.
 *
 * <pre>{@code
 * try (ForwardScope scope = ForwardScope.open(ids.getManager(), training)) {
 *     scope.adopt(inputs);
 *     NDArray mask = scope.manager().ones(ids.getShape());
 *     ...
 * }
 * }</pre>
 */
public final class ForwardScope implements AutoCloseable {

    /** Set on a thread inside {@link #keepingLayerIntermediates}. */
    private static final ThreadLocal<Boolean> KEEP_LAYER_INTERMEDIATES = new ThreadLocal<>();

    private final NDManager manager;
    private final boolean owned;
    private final NDManager keepJavaBackedIn;

    private ForwardScope(NDManager manager, boolean owned, NDManager keepJavaBackedIn) {
        this.manager = manager;
        this.owned = owned;
        this.keepJavaBackedIn = keepJavaBackedIn;
    }

    /**
     * Opens the scope of one forward pass.
     *
     * @param caller the manager of the pass's inputs, which receives its outputs
     * @param training whether a backward pass may follow
     * @return a scope over a new sub-manager, or over {@code caller} while training
     */
    public static ForwardScope open(NDManager caller, boolean training) {
        return training ? new ForwardScope(caller, false, null) : new ForwardScope(caller.newSubManager(), true, null);
    }

    /**
     * Opens the scope of one layer (or block) of a forward pass: over a new sub-manager in
     * training too, whose intermediates are freed when the scope closes. While training, arrays
     * over Java buffers left in the scope move to {@code caller} instead of being closed; where
     * that cannot be checked (an engine other than PyTorch), or inside
     * {@link #keepingLayerIntermediates}, the scope keeps everything in {@code caller} as
     * {@link #open} does.
     *
     * @param caller the manager of the layer's inputs, which receives its output
     * @param training whether a backward pass may follow
     * @return a scope over a new sub-manager
     */
    public static ForwardScope openLayer(NDManager caller, boolean training) {
        if (!training) {
            return new ForwardScope(caller.newSubManager(), true, null);
        }
        if (KEEP_LAYER_INTERMEDIATES.get() != null || !JavaBackedArrays.checkable(caller)) {
            return new ForwardScope(caller, false, null);
        }
        return new ForwardScope(caller.newSubManager(), true, caller);
    }

    /**
     * Runs one layer in a {@link #openLayer layer scope} over the manager of {@code inputs}:
     * adopts the inputs, computes, hands the result to that manager and frees the rest.
     *
     * <pre>{@code
     * hidden = ForwardScope.runLayer(new NDList(hidden, maskBias), training,
     *         scope -> layer.forward(ps, new NDList(hidden, maskBias), training, params).head());
     * }</pre>
     *
     * @param inputs the layer's inputs, first the one whose manager receives the result
     * @param training whether a backward pass may follow
     * @param pass computes the result; its argument is the manager for intermediates
     * @return the result, owned by the manager of {@code inputs.head()}
     */
    public static NDArray runLayer(NDList inputs, boolean training, Function<NDManager, NDArray> pass) {
        return runLayerOutputs(inputs, training, scope -> new NDList(pass.apply(scope))).head();
    }

    /**
     * Runs one layer (or block) with several outputs in a {@link #openLayer layer scope}, as
     * {@link #runLayer} does with one.
     *
     * @param inputs the layer's inputs, first the one whose manager receives the results
     * @param training whether a backward pass may follow
     * @param pass computes the results; its argument is the manager for intermediates
     * @return the results, owned by the manager of {@code inputs.head()}
     */
    public static NDList runLayerOutputs(NDList inputs, boolean training, Function<NDManager, NDList> pass) {
        NDManager caller = inputs.head().getManager();
        return runIn(openLayer(caller, training), caller, inputs, pass);
    }

    /**
     * Makes the training layer scopes opened on this thread keep their intermediates in the
     * caller's manager until it closes (after {@code backward}), as training passes did before
     * layer scopes, until the returned handle is closed. For comparing the two policies, or for a
     * model whose layers keep arrays across calls that a layer scope would free.
     *
     * <pre>{@code
     * try (ForwardScope.Policy keep = ForwardScope.keepingLayerIntermediates()) {
     *     NDArray out = model.forward(ps, inputs, true).head();
     *     collector.backward(loss(out));
     * }
     * }</pre>
     *
     * @return the handle that restores the earlier policy of this thread
     */
    public static Policy keepingLayerIntermediates() {
        Boolean previous = KEEP_LAYER_INTERMEDIATES.get();
        KEEP_LAYER_INTERMEDIATES.set(Boolean.TRUE);
        return () -> {
            if (previous == null) {
                KEEP_LAYER_INTERMEDIATES.remove();
            } else {
                KEEP_LAYER_INTERMEDIATES.set(previous);
            }
        };
    }

    /** The handle of {@link #keepingLayerIntermediates}; closing it restores the earlier policy. */
    @FunctionalInterface
    public interface Policy extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Runs one forward pass in a scope over the manager of {@code inputs}: adopts the inputs,
     * computes, and hands the result to that manager before the intermediates are freed.
     *
     * <pre>{@code
     * NDArray out = ForwardScope.run(new NDList(ids, mask), training, scope -> encoder(ids, mask));
     * }</pre>
     *
     * @param inputs the pass's inputs, first the one whose manager receives the result
     * @param training whether a backward pass may follow
     * @param pass computes the result; its argument is the manager for intermediates
     * @return the result, owned by the manager of {@code inputs.head()}
     */
    public static NDArray run(NDList inputs, boolean training, Function<NDManager, NDArray> pass) {
        NDManager caller = inputs.head().getManager();
        return runIn(open(caller, training), caller, inputs, scope -> new NDList(pass.apply(scope))).head();
    }

    /** Adopts the inputs into {@code scope}, computes, hands the results to {@code caller}, closes the scope. */
    private static NDList runIn(ForwardScope scope, NDManager caller, NDList inputs,
            Function<NDManager, NDList> pass) {
        try (scope) {
            scope.adopt(inputs);
            NDList results = pass.apply(scope.manager());
            results.attach(caller);
            return results;
        }
    }

    /**
     * The manager for intermediates.
     *
     * @return the sub-manager, or the caller's while training
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Lets the arrays that ops derive from {@code inputs} land in this scope (DJL puts an op's
     * result in its first operand's manager): the inputs are attached here until the scope closes,
     * then go back to their own manager. Nothing to do while training.
     *
     * @param inputs the pass's inputs
     */
    public void adopt(NDList inputs) {
        if (owned) {
            inputs.tempAttach(manager);
        }
    }

    @Override
    public void close() {
        if (owned) {
            if (keepJavaBackedIn != null) {
                JavaBackedArrays.moveTo(manager, keepJavaBackedIn);
            }
            manager.close();
        }
    }
}

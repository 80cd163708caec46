package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.function.Function;

/**
 * Where a forward pass keeps its intermediate arrays. For inference, a sub-manager of the caller's,
 * closed at the end of the pass so the intermediates are freed at once. While training, the
 * caller's manager itself, so that whatever the backward pass reads stays open until the caller
 * closes its manager after {@code backward} (arrays that DJL builds over Java buffers are freed
 * with their handle; see also {@code Scalars} in the runtime for constants).
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

    private final NDManager manager;
    private final boolean owned;

    private ForwardScope(NDManager manager, boolean owned) {
        this.manager = manager;
        this.owned = owned;
    }

    /**
     * Opens the scope of one forward pass.
     *
     * @param caller the manager of the pass's inputs, which receives its outputs
     * @param training whether a backward pass may follow
     * @return a scope over a new sub-manager, or over {@code caller} while training
     */
    public static ForwardScope open(NDManager caller, boolean training) {
        return training ? new ForwardScope(caller, false) : new ForwardScope(caller.newSubManager(), true);
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
        try (ForwardScope scope = open(caller, training)) {
            scope.adopt(inputs);
            NDArray result = pass.apply(scope.manager());
            result.attach(caller);
            return result;
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
            manager.close();
        }
    }
}

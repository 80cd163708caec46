package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * An {@link AdapterLayer} around a linear projection (LoRA, IA3), with the base's weights at hand
 * for the method's math, merging and per-row products. Without gradients, on a single input, the
 * method may fold its adapters into a weight built for that call ({@link #forwardThroughWeight})
 * when that is cheaper for the batch ({@link #foldsIntoWeight}); otherwise it runs them on the
 * activations ({@link #forwardOnActivations}).
 *
 * @param <A> one adapter's weights
 */
public abstract class LinearAdapterLayer<A extends Block> extends AdapterLayer<A> {

    private final LinearBase linear;

    /**
     * Wraps a linear block.
     *
     * @param base a {@code Linear} or another block {@link LinearBase} reads
     * @param modulePath the module's path, for messages
     * @param activation which adapters a forward applies
     */
    protected LinearAdapterLayer(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
        this.linear = LinearBase.of(base, modulePath);
    }

    /**
     * The weights of the wrapped projection.
     *
     * @return the base weight and bias
     */
    public LinearBase linear() {
        return linear;
    }

    @Override
    protected final NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<A>> uses) {
        NDArray x = inputs.head();
        if (!training && inputs.size() == 1 && foldsIntoWeight(rows(x), uses)) {
            return new NDList(forwardThroughWeight(store, x, uses));
        }
        return forwardOnActivations(store, inputs, training, params, uses);
    }

    /**
     * Whether a forward without gradients computes through a weight with the adapters folded in,
     * the cheaper order for this many rows.
     *
     * @param rows the input's rows (every dimension but the feature one)
     * @param uses the adapters to apply
     * @return true to call {@link #forwardThroughWeight}
     */
    protected abstract boolean foldsIntoWeight(long rows, List<AdapterUse<A>> uses);

    /**
     * The unmerged result through a weight built for this call only (the base weight is never written).
     *
     * @param store the parameter store
     * @param x the single input
     * @param uses the adapters to apply, none per row
     * @return the output, owned by the input's manager
     */
    protected abstract NDArray forwardThroughWeight(ParameterStore store, NDArray x, List<AdapterUse<A>> uses);

    /**
     * The forward that runs the adapters on the activations around the base's own forward.
     *
     * @param store the parameter store
     * @param inputs the inputs of the wrapped block
     * @param training whether training
     * @param params extra parameters, passed to the wrapped block
     * @param uses the adapters to apply, in order, each to all rows or to its rows
     * @return the output
     */
    protected abstract NDList forwardOnActivations(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<A>> uses);

    private static long rows(NDArray x) {
        Shape shape = x.getShape();
        return shape.dimension() == 0 ? 0 : shape.size() / shape.get(shape.dimension() - 1);
    }
}

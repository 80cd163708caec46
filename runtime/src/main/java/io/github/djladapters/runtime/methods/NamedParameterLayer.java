package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.Map;

/**
 * An {@link UnmergedAdapterLayer} whose tensors, saved and loaded, are one adapter's parameters under
 * the names the file format gives them (bottleneck, invertible and ReFT adapters, {@code modules_to_save}
 * copies): subclasses say only how an adapter's parameters are named.
 *
 * @param <A> one adapter's weights
 */
public abstract class NamedParameterLayer<A extends Block> extends UnmergedAdapterLayer<A> {

    /**
     * Wraps a block.
     *
     * @param base the wrapped block
     * @param modulePath the module's path, the prefix of the tensor keys
     * @param activation which adapters a forward applies
     * @param adapterKind the adapters in messages, such as {@code "bottleneck adapters"}
     */
    protected NamedParameterLayer(Block base, String modulePath, AdapterActivation activation, String adapterKind) {
        super(base, modulePath, activation, adapterKind);
    }

    /**
     * One adapter's parameters under their tensor names relative to this module, in the file's order.
     *
     * @param weights the adapter's weights
     * @return name to parameter
     */
    protected abstract Map<String, Parameter> namedParameters(A weights);

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        return ParameterTensors.copies(namedParameters(require(name)), "", manager);
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        return ParameterTensors.shapes(namedParameters(require(name)), "");
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        ParameterTensors.overwrite(namedParameters(require(name)), suffix, value,
                "adapter '" + name + "' at '" + modulePath() + "'");
    }
}

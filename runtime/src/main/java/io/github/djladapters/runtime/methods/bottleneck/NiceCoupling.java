package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.methods.AdapterWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One invertible adapter: the Adapters library's {@code NICECouplingBlock} over the hidden size
 * {@code H}. The features split into {@code x1 = x[..., :H/2]} and {@code x2 = x[..., H/2:]}; the
 * subnets {@code F: x2 -> x1} and {@code G: x1 -> x2} are {@code Linear, non_linearity, Linear} with
 * width {@code floor(in // inv_adapter_reduction_factor)}. Forward: {@code y1 = x1 + F(x2)},
 * {@code y2 = x2 + G(y1)}; inverse: {@code x2 = y2 - G(y1)}, {@code x1 = y1 - F(x2)}, exact up to
 * rounding. Initialised like the library ({@code init_bert_weights}: N(0, 0.02) weights, zero
 * biases), so the adapter does not start as the identity. Tensor names are the library's
 * {@code F.0.weight}, {@code F.2.bias}, ... below {@code invertible_adapters.<name>.}.
 */
final class NiceCoupling extends AdapterWeights {

    private final int half1;
    private final UnaryOperator<NDArray> activation;
    private final Map<String, Parameter> named = new LinkedHashMap<>();

    /**
     * Creates the coupling with the library's initialisation.
     *
     * @param hidden the hidden size
     * @param reductionFactor {@code inv_adapter_reduction_factor}
     * @param nonLinearity {@code non_linearity}
     * @param manager the model's manager (its device)
     */
    NiceCoupling(long hidden, double reductionFactor, String nonLinearity, NDManager manager) {
        half1 = Math.toIntExact(hidden / 2);
        long half2 = hidden - half1;
        activation = NonLinearity.of(nonLinearity);
        subnet("F", half2, half1, reductionFactor, manager);
        subnet("G", half1, half2, reductionFactor, manager);
    }

    /** The library's {@code get_subnet_constructor}: Linear(in, in // factor), activation, Linear(in // factor, out). */
    private void subnet(String prefix, long in, long out, double reductionFactor, NDManager manager) {
        long width = width(in, reductionFactor);
        if (width < 1) {
            throw new IllegalArgumentException("inv_adapter_reduction_factor " + reductionFactor + " leaves the "
                    + prefix + " subnet of an invertible adapter over " + in + " features no width");
        }
        put(prefix + ".0.weight", manager.randomNormal(0, 0.02f, new Shape(width, in), DataType.FLOAT32));
        put(prefix + ".0.bias", manager.zeros(new Shape(width)));
        put(prefix + ".2.weight", manager.randomNormal(0, 0.02f, new Shape(out, width), DataType.FLOAT32));
        put(prefix + ".2.bias", manager.zeros(new Shape(out)));
    }

    /**
     * A subnet's hidden width, as Python's {@code int(in // factor)} computes it.
     *
     * @param in the subnet's input features
     * @param reductionFactor the factor
     * @return the width
     */
    static long width(long in, double reductionFactor) {
        return (long) Math.floor(in / reductionFactor);
    }

    /**
     * The number of parameters of a coupling over {@code hidden} features.
     *
     * @param hidden the hidden size
     * @param reductionFactor the factor
     * @return the weights and biases of F and G
     */
    static long parameterCount(long hidden, double reductionFactor) {
        long h1 = hidden / 2;
        long h2 = hidden - h1;
        long wf = width(h2, reductionFactor);
        long wg = width(h1, reductionFactor);
        return (h2 * wf + wf + wf * h1 + h1) + (h1 * wg + wg + wg * h2 + h2);
    }

    private void put(String name, NDArray value) {
        named.put(name, newParameter(name.replace('.', '_'), value));
    }

    /**
     * The library's state-dict names below {@code invertible_adapters.<name>.}, with their parameters.
     *
     * @return name to parameter, in the library's order
     */
    Map<String, Parameter> namedParameters() {
        return named;
    }

    /**
     * The coupling or its inverse over the last axis.
     *
     * @param store the parameter store
     * @param x {@code [..., H]}
     * @param reverse whether to run the inverse ({@code rev=True})
     * @param training whether training
     * @return {@code [..., H]}
     */
    NDArray apply(ParameterStore store, NDArray x, boolean reverse, boolean training) {
        NDArray x1 = x.get(new NDIndex("..., :{}", half1));
        NDArray x2 = x.get(new NDIndex("..., {}:", half1));
        NDArray y1;
        NDArray y2;
        if (!reverse) {
            y1 = x1.add(subnet(store, "F", x2, training));
            y2 = x2.add(subnet(store, "G", y1, training));
        } else {
            y2 = x2.sub(subnet(store, "G", x1, training));
            y1 = x1.sub(subnet(store, "F", y2, training));
        }
        return NDArrays.concat(new NDList(y1, y2), -1);
    }

    private NDArray subnet(ParameterStore store, String prefix, NDArray in, boolean training) {
        Device device = in.getDevice();
        NDArray hidden = Linear.linear(in, value(store, prefix + ".0.weight", device, training),
                value(store, prefix + ".0.bias", device, training)).head();
        return Linear.linear(activation.apply(hidden), value(store, prefix + ".2.weight", device, training),
                value(store, prefix + ".2.bias", device, training)).head();
    }

    private NDArray value(ParameterStore store, String name, Device device, boolean training) {
        return store.getValue(named.get(name), device, training);
    }
}

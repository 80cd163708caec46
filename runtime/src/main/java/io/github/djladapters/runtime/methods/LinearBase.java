package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.djladapters.runtime.architecture.LinearWeights;
import java.util.Optional;

/**
 * The weight and bias of a linear block that an adapter wraps: a DJL {@link Linear} ({@code [out,
 * in]}) or a {@link LinearWeights} block, which may store its weight {@code [in, out]}.
 *
 * @param weight the weight parameter
 * @param bias the bias parameter, or null
 * @param fanInFanOut whether {@code weight} is stored {@code [in, out]}
 * @param inFeatures input features
 * @param outFeatures output features
 */
public record LinearBase(Parameter weight, Parameter bias, boolean fanInFanOut, long inFeatures, long outFeatures) {

    /**
     * Reads the weights of a block.
     *
     * @param block the block an adapter targets
     * @param path its module path, for messages
     * @return its weights
     * @throws IllegalArgumentException when the block is neither a {@code Linear} nor a
     *     {@link LinearWeights}, or is not initialised
     */
    public static LinearBase of(Block block, String path) {
        Parameter weight;
        Parameter bias;
        boolean transposed;
        if (block instanceof LinearWeights linear) {
            weight = linear.weight();
            bias = linear.bias().orElse(null);
            transposed = linear.fanInFanOut();
        } else if (block instanceof Linear) {
            weight = block.getParameters().get("weight");
            bias = block.getParameters().get("bias");
            transposed = false;
        } else {
            throw new IllegalArgumentException("module '" + path + "' is a " + block.getClass().getName()
                    + "; adapters on linear projections support ai.djl.nn.core.Linear and blocks implementing "
                    + LinearWeights.class.getName());
        }
        if (weight == null || !weight.isInitialized() || weight.getArray().getShape().dimension() != 2) {
            throw new IllegalArgumentException("module '" + path + "' has no initialised 2-d weight; initialise the"
                    + " model before adding adapters");
        }
        long[] shape = weight.getArray().getShape().getShape();
        long out = transposed ? shape[1] : shape[0];
        long in = transposed ? shape[0] : shape[1];
        return new LinearBase(weight, bias, transposed, in, out);
    }

    /**
     * The bias, if any.
     *
     * @return the bias parameter
     */
    public Optional<Parameter> optionalBias() {
        return Optional.ofNullable(bias);
    }

    /**
     * The weight in {@code [out, in]} layout, whatever the storage.
     *
     * @return the weight, transposed when stored {@code [in, out]}
     */
    public NDArray weightOutIn() {
        NDArray w = weight.getArray();
        return fanInFanOut ? w.transpose() : w;
    }

    /**
     * Turns an {@code [out, in]} array into the storage layout of the weight.
     *
     * @param outIn an array shaped like the weight in {@code [out, in]} layout
     * @return the same values laid out as the weight is stored
     */
    public NDArray toStorage(NDArray outIn) {
        return fanInFanOut ? outIn.transpose() : outIn;
    }
}

package io.github.djladapters.runtime.architecture;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * DJL's {@link Linear} ({@code y = x W^T + b}, parameters {@code weight [out, in]} and {@code bias
 * [out]}: the same names, shapes, metadata and saved form) with the product chosen in one place for
 * every base model: on a GPU, inputs of more than two dimensions run on a {@code [rows, in]} view, so
 * that the bias is added inside the matrix product ({@code addmm}, which cuBLAS folds into the
 * product's epilogue), as PyTorch's {@code nn.Linear} does; on the CPU, DJL's own {@code
 * Linear.linear} ({@code matmul}, then the bias added in place), one engine call instead of three,
 * which measured as fast as {@code addmm} here (a CPU {@code addmm} copies the broadcast bias into
 * the output before the product, the same memory pass as the separate add; the same holds in PyTorch
 * 2.13 itself).
 *
 * <p>With {@code -Ddjladapters.linear.packed=mkl} (or {@code onednn}), in inference (not training,
 * autograd off) on the CPU in float32, with at least {@link PackedLinearWeights#minimumRows()} input
 * rows, the product reads a copy of the weight packed once for the engine's GEMM ({@link
 * PackedLinearWeights}, {@link LinearPacking}), rebuilt when the weight changes. Off by default.
 *
 * <p>Being a {@code Linear}, it is what adapter methods wrap, merge into and copy ({@code
 * modules_to_save}) as they do DJL's. The static {@link #project} and {@link #projectInOut} are the same
 * product for code that holds the weights itself (adapter bodies, GPT-2's {@code Conv1D}).
 *
 * <pre>{@code
 * query = addChildBlock("query", new FlatLinear(hidden, true));
 * NDArray down = FlatLinear.project(x, downWeight, downBias);   // [B, T, in] -> [B, T, out]
 * }</pre>
 */
public final class FlatLinear extends Linear implements CopyableBlock {

    private final long units;
    private final Parameter weight;
    private final Parameter bias;
    private final PackedLinearWeights packed = new PackedLinearWeights();

    /**
     * A projection to {@code units} features; the input width comes from the first input shape, as
     * for DJL's {@code Linear}.
     *
     * @param units output features
     * @param bias whether it has a bias
     */
    public FlatLinear(long units, boolean bias) {
        super(Linear.builder().setUnits(units).optBias(bias));
        this.units = units;
        this.weight = parameters.get("weight");
        this.bias = bias ? parameters.get("bias") : null;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = bias == null ? null : store.getValue(bias, x.getDevice(), training);
        if (training) {
            packed.release(); // an optimizer may now change the weight in place
        } else {
            NDArray product = packed.project(x, w, b);
            if (product != null) {
                return new NDList(product);
            }
        }
        return new NDList(project(x, w, b));
    }

    /**
     * Frees the packed copies of the weight (see {@link PackedLinearWeights}), for code that writes the
     * weight's values in place outside training; the next inference forward packs again.
     */
    public void releasePacked() {
        packed.release();
    }

    /** A new, uninitialised projection with the same width and bias. */
    @Override
    public Block newInstance() {
        return new FlatLinear(units, bias != null);
    }

    /**
     * The output features.
     *
     * @return the units this projection maps to
     */
    public long units() {
        return units;
    }

    /**
     * The weight parameter.
     *
     * @return {@code weight}, {@code [out, in]}
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The bias parameter.
     *
     * @return {@code bias}, {@code [out]}, or {@code null} for a projection without one
     */
    public Parameter bias() {
        return bias;
    }

    /**
     * {@code x W^T + b} over the last axis of {@code x}, in the form that is fastest on its device (see
     * the class comment).
     *
     * @param x the input, {@code [..., in]}
     * @param weight {@code [out, in]}
     * @param bias {@code [out]}, or null
     * @return {@code [..., out]}, owned by the manager of {@code x}
     */
    public static NDArray project(NDArray x, NDArray weight, NDArray bias) {
        return Device.Type.GPU.equals(x.getDevice().getDeviceType()) ? projectFlat(x, weight, bias)
                : Linear.linear(x, weight, bias).head();
    }

    /**
     * {@code x W^T + b} on a {@code [rows, in]} view of {@code x}: one {@code addmm} with the bias
     * inside the product, reshaped back; {@link #project}'s form on a GPU, for any device here.
     *
     * @param x the input, {@code [..., in]}
     * @param weight {@code [out, in]}
     * @param bias {@code [out]}, or null
     * @return {@code [..., out]}, owned by the manager of {@code x}
     */
    public static NDArray projectFlat(NDArray x, NDArray weight, NDArray bias) {
        Shape shape = x.getShape();
        if (shape.dimension() <= 2) {
            return Linear.linear(x, weight, bias).head();
        }
        NDArray flat = Linear.linear(x.reshape(-1, shape.get(shape.dimension() - 1)), weight, bias).head();
        return flat.reshape(outputShape(shape, weight.getShape().get(0)));
    }

    /**
     * {@code x W + b} for a weight stored {@code [in, out]} (GPT-2's {@code Conv1D}, PEFT's {@code
     * fan_in_fan_out}), in {@link #project}'s form for the device (Hugging Face's {@code
     * torch.addmm(bias, x.view(-1, in), weight)} on a GPU).
     *
     * @param x the input, {@code [..., in]}
     * @param weight {@code [in, out]}
     * @param bias {@code [out]}, or null
     * @return {@code [..., out]}, owned by the manager of {@code x}
     */
    public static NDArray projectInOut(NDArray x, NDArray weight, NDArray bias) {
        if (bias != null && Device.Type.GPU.equals(x.getDevice().getDeviceType())) {
            // W^T is a view; the product multiplies by its transpose again, which is the stored layout
            return projectFlat(x, weight.transpose(), bias);
        }
        NDArray product = x.matMul(weight);
        // in place: the product is this call's own, and its backward does not read it
        return bias == null ? product : product.addi(bias);
    }

    private static Shape outputShape(Shape input, long out) {
        return input.slice(0, input.dimension() - 1).add(out);
    }
}

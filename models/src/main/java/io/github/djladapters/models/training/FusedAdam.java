package io.github.djladapters.models.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.IValue;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.kernels.TorchKernels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam and AdamW over a fixed list of parameters, with the numbers of DJL's {@code Optimizer.adam()}
 * and {@code Optimizer.adamW()} (the PyTorch engine's {@code adamUpdate}: {@code eps} added to
 * {@code sqrt(v)}, the bias corrections folded into the step size) but less memory traffic: every
 * update is an in-place op on the parameter, its gradient or its moments (DJL's update clones each
 * gradient and allocates four temporaries of the parameter's size), the constants are 0-d tensors
 * made once per step instead of one per op, and the moments of all parameters of one data type live
 * in two flat buffers allocated once. {@link #step()} also sets every gradient back to zero, which
 * the next backward pass accumulates into.
 *
 * <p>The moments are kept at a fixed scale, {@code m / (1 - beta1)} and {@code v / (1 - beta2)}, so
 * that their updates need no multiplication of the gradient ({@code M = beta1 M + g},
 * {@code V = beta2 V + g^2}, the square taken in place in the gradient, which is zeroed afterwards
 * anyway); the scales are folded into the step size and epsilon. Per parameter that is 11 passes over
 * memory and two temporaries instead of 13 and three.
 *
 * <pre>{@code
 * try (FusedAdam adam = FusedAdam.adamW(trainable, manager, 1e-5f)) {
 *     for (...) { collector.backward(loss); adam.step(); }
 * }
 * }</pre>
 *
 * <p>With DJL's PyTorch engine the whole step is one call of PyTorch's own fused kernel
 * ({@code torch._fused_adamw_} / {@code _fused_adam_}, one pass over each parameter's memory, see
 * {@link TorchKernels}) over all parameters, followed by {@code _foreach_zero_} on the gradients;
 * PyTorch's {@code eps} is added to the bias-corrected {@code sqrt(v)}, so it is given
 * {@code eps / sqrt(1 - beta2^t)} to keep DJL's numbers. The system property
 * {@value #KERNEL_PROPERTY}{@code =false} (read when the optimizer is made) or a non-PyTorch engine selects
 * the in-place DJL ops described above.
 *
 * <p>Runs with autograd off on the calling thread (in-place ops on trainable leaves need it). Not thread-safe. Every parameter is updated at every step (DJL counts steps per parameter; a
 * parameter that is skipped here still counts).
 */
public final class FusedAdam implements AutoCloseable {

    /** The system property that, set to {@code false}, keeps the update in DJL ops instead of the fused kernel. */
    public static final String KERNEL_PROPERTY = "djladapters.fusedAdam.kernel";

    private static final NDIndex ALL = new NDIndex(":");

    private final List<Parameter> parameters;
    private final NDManager manager;
    private final float learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final boolean decoupled;
    private final List<NDArray> means = new ArrayList<>();
    private final List<NDArray> variances = new ArrayList<>();
    /** With the fused kernel: the moments (unscaled, PyTorch's) and per-parameter step counts as lists. */
    private final IValue[] kernelState;
    private int steps;

    /**
     * An optimizer over {@code parameters}.
     *
     * @param parameters the trainable parameters, initialised, each with a gradient attached
     * @param parent the manager under which the moments are allocated (freed by {@link #close()})
     * @param learningRate the step size
     * @param beta1 the decay of the first moment (DJL and PyTorch: 0.9)
     * @param beta2 the decay of the second moment (0.999)
     * @param epsilon added to {@code sqrt(v)} (1e-8)
     * @param weightDecay the weight decay (AdamW: 0.01 by default; Adam: 0)
     * @param decoupled true for AdamW (the weight shrinks by {@code lr * weightDecay}), false for Adam
     *     (the decay is added to the gradient)
     */
    public FusedAdam(List<Parameter> parameters, NDManager parent, float learningRate, float beta1, float beta2,
            float epsilon, float weightDecay, boolean decoupled) {
        check("learning rate", learningRate);
        check("beta1", beta1);
        check("beta2", beta2);
        check("epsilon", epsilon);
        check("weight decay", weightDecay);
        this.parameters = List.copyOf(parameters);
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        manager = parent.newSubManager();
        allocateMoments();
        kernelState = useKernel() ? kernelState() : null;
    }

    private boolean useKernel() {
        return beta2 < 1 && !parameters.isEmpty() && TorchKernels.available()
                && !"false".equals(System.getProperty(KERNEL_PROPERTY));
    }

    /** The moments' and the step counts' lists, made once: the kernel updates them in place. */
    private IValue[] kernelState() {
        NDArray[] counts = new NDArray[parameters.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = manager.zeros(new Shape(), DataType.FLOAT32, parameters.get(i).getArray().getDevice());
        }
        return new IValue[] {TorchKernels.tensors(means.toArray(NDArray[]::new)),
            TorchKernels.tensors(variances.toArray(NDArray[]::new)), TorchKernels.tensors(counts)};
    }

    /**
     * Whether steps run PyTorch's fused kernel.
     *
     * @return false when the update runs in DJL ops
     */
    public boolean fused() {
        return kernelState != null;
    }

    /**
     * DJL's {@code Optimizer.adamW()} with a fixed learning rate: betas 0.9 and 0.999, epsilon 1e-8,
     * weight decay 0.01.
     *
     * @param parameters the trainable parameters
     * @param parent the manager of the moments
     * @param learningRate the step size
     * @return the optimizer
     */
    public static FusedAdam adamW(List<Parameter> parameters, NDManager parent, float learningRate) {
        return new FusedAdam(parameters, parent, learningRate, 0.9f, 0.999f, 1e-8f, 0.01f, true);
    }

    /**
     * DJL's {@code Optimizer.adam()} with a fixed learning rate: betas 0.9 and 0.999, epsilon 1e-8,
     * no weight decay.
     *
     * @param parameters the trainable parameters
     * @param parent the manager of the moments
     * @param learningRate the step size
     * @return the optimizer
     */
    public static FusedAdam adam(List<Parameter> parameters, NDManager parent, float learningRate) {
        return new FusedAdam(parameters, parent, learningRate, 0.9f, 0.999f, 1e-8f, 0f, false);
    }

    /**
     * How many steps were taken.
     *
     * @return 0 before the first {@link #step()}
     */
    public int steps() {
        return steps;
    }

    /**
     * Updates every parameter from its gradient and sets the gradients to zero.
     *
     * @throws IllegalStateException when a parameter has no gradient
     */
    public void step() {
        int t = steps + 1;
        if (kernelState != null) {
            fusedStep(t);
            steps = t;
            return;
        }
        double coefficient1 = 1.0 - Math.pow(beta1, t);
        double coefficient2 = 1.0 - Math.pow(beta2, t);
        float stepSize = (float) (learningRate * Math.sqrt(coefficient2) / coefficient1);
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager scope = manager.newSubManager()) {
            Map<DataType, Constants> constants = new LinkedHashMap<>();
            for (int i = 0; i < parameters.size(); i++) {
                NDArray weight = parameters.get(i).getArray();
                if (!weight.hasGradient()) {
                    throw new IllegalStateException("parameter '" + parameters.get(i).getName()
                            + "' has no gradient: was it frozen after the optimizer was made?");
                }
                Constants c = constants.computeIfAbsent(weight.getDataType(), type -> new Constants(scope, type,
                        weight, stepSize));
                NDArray grad = scoped(weight.getGradient(), scope); // a new handle on the same gradient
                update(weight, grad, means.get(i), variances.get(i), c, scope);
            }
        }
        steps = t;
    }

    /** One call of {@code _fused_adamw_} (or {@code _fused_adam_}) over every parameter, then the gradients zeroed. */
    private void fusedStep(int t) {
        double epsilon = this.epsilon / Math.sqrt(1.0 - Math.pow(beta2, t)); // DJL adds eps before the bias correction
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager scope = manager.newSubManager()) {
            NDArray[] weights = new NDArray[parameters.size()];
            NDArray[] gradients = new NDArray[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = parameters.get(i).getArray();
                if (!weights[i].hasGradient()) {
                    throw new IllegalStateException("parameter '" + parameters.get(i).getName()
                            + "' has no gradient: was it frozen after the optimizer was made?");
                }
                gradients[i] = scoped(weights[i].getGradient(), scope);
            }
            IValue[] perStep = {TorchKernels.tensors(weights), TorchKernels.tensors(gradients),
                IValue.from((double) learningRate), IValue.from((double) beta1), IValue.from((double) beta2),
                IValue.from((double) weightDecay), IValue.from(epsilon), IValue.from(decoupled)};
            try (IValue none = TorchKernels.on(weights[0].getDevice()).call("fused_adam", perStep[0], perStep[1],
                    kernelState[0], kernelState[1], kernelState[2], perStep[2], perStep[3], perStep[4], perStep[5],
                    perStep[6], perStep[7])) {
                // the kernel returns None; parameters, moments, counts and gradients changed in place
            } finally {
                for (IValue value : perStep) {
                    value.close();
                }
            }
        }
    }

    /** The adamUpdate of DJL's PyTorch engine, in place; temporaries go to {@code scope}. */
    private void update(NDArray weight, NDArray grad, NDArray mean, NDArray variance, Constants c, NDManager scope) {
        if (weightDecay != 0) {
            if (decoupled) {
                weight.muli(c.keep); // weight -= weight * lr * wd
            } else {
                grad.addi(scoped(weight.mul(c.decay), scope)); // grad += wd * weight
            }
        }
        mean.muli(c.beta1).addi(grad); // M = m / (1 - beta1): M = beta1 M + grad
        grad.muli(grad); // grad^2 in place: the gradient is zeroed below
        variance.muli(c.beta2).addi(grad); // V = v / (1 - beta2): V = beta2 V + grad^2
        // weight -= step m / (sqrt(v) + eps) = scaledStep M / (sqrt(V) + scaledEpsilon)
        NDArray denominator = c.rootOneMinusBeta2 > 0 ? scoped(variance.sqrt(), scope).addi(c.epsilon)
                : c.epsilon; // beta2 = 1: v stays 0
        weight.subi(scoped(mean.mul(c.stepSize), scope).divi(denominator));
        grad.set(ALL, 0); // zero_(), whatever the gradient held (NaN included)
    }

    private static NDArray scoped(NDArray temporary, NDManager scope) {
        temporary.attach(scope);
        return temporary;
    }

    /** One flat buffer per data type for the means and one for the variances; each parameter's moments are views. */
    private void allocateMoments() {
        Map<DataType, Long> sizes = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            NDArray w = p.getArray();
            sizes.merge(w.getDataType(), w.size(), Long::sum);
        }
        Map<DataType, NDArray[]> flats = new LinkedHashMap<>();
        Map<DataType, Long> offsets = new LinkedHashMap<>();
        for (Map.Entry<DataType, Long> e : sizes.entrySet()) {
            NDArray w = parameters.stream().map(Parameter::getArray).filter(a -> a.getDataType() == e.getKey())
                    .findFirst().orElseThrow();
            flats.put(e.getKey(), new NDArray[] {
                manager.zeros(new Shape(e.getValue()), e.getKey(), w.getDevice()),
                manager.zeros(new Shape(e.getValue()), e.getKey(), w.getDevice())});
            offsets.put(e.getKey(), 0L);
        }
        for (Parameter p : parameters) {
            NDArray w = p.getArray();
            long from = offsets.get(w.getDataType());
            long to = from + w.size();
            NDIndex slice = new NDIndex(from + ":" + to);
            NDArray[] flat = flats.get(w.getDataType());
            means.add(flat[0].get(slice).reshape(w.getShape()));
            variances.add(flat[1].get(slice).reshape(w.getShape()));
            offsets.put(w.getDataType(), to);
        }
    }

    private static void check(String name, float value) {
        if (!Float.isFinite(value) || value < 0) {
            throw new IllegalArgumentException(name + " must be a finite number >= 0, got " + value);
        }
    }

    /** The step's constants for one data type, as 0-d tensors that PyTorch owns. */
    private final class Constants {
        final NDArray keep;
        final NDArray decay;
        final NDArray beta1;
        final NDArray beta2;
        final double rootOneMinusBeta2;
        /** epsilon in the scale of {@code sqrt(V)}: {@code eps / sqrt(1 - beta2)} (just eps when beta2 = 1). */
        final NDArray epsilon;
        /** The step in the scale of the stored moments: {@code step (1 - beta1) / sqrt(1 - beta2)}. */
        final NDArray stepSize;

        Constants(NDManager scope, DataType type, NDArray like, float stepSize) {
            keep = scalar(scope, type, like, 1 - learningRate * weightDecay);
            decay = scalar(scope, type, like, weightDecay);
            beta1 = scalar(scope, type, like, FusedAdam.this.beta1);
            beta2 = scalar(scope, type, like, FusedAdam.this.beta2);
            rootOneMinusBeta2 = Math.sqrt(1.0 - FusedAdam.this.beta2);
            double oneMinusBeta1 = 1.0 - FusedAdam.this.beta1;
            if (rootOneMinusBeta2 > 0) {
                epsilon = scalar(scope, type, like, (float) (FusedAdam.this.epsilon / rootOneMinusBeta2));
                this.stepSize = scalar(scope, type, like, (float) (stepSize * oneMinusBeta1 / rootOneMinusBeta2));
            } else {
                epsilon = scalar(scope, type, like, FusedAdam.this.epsilon);
                this.stepSize = scalar(scope, type, like, (float) (stepSize * oneMinusBeta1));
            }
        }

        private NDArray scalar(NDManager scope, DataType type, NDArray like, float value) {
            return scope.full(new Shape(), value, type, like.getDevice());
        }
    }

    /** Frees the moments. */
    @Override
    public void close() {
        if (kernelState != null) {
            for (IValue list : kernelState) {
                list.close();
            }
        }
        manager.close();
    }
}

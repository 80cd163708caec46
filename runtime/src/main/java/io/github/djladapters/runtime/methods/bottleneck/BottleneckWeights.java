package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One bottleneck adapter at one place (the Adapters library's {@code Adapter} module): an optional
 * input layer norm, the down projection {@code [width, hidden]}, the up projection
 * {@code [hidden, width]}, an optional output layer norm and an optional learned scaling. Tensor
 * names are the library's state-dict names below {@code adapters.<name>.}: {@code adapter_down.0}
 * is the down projection, or the input layer norm when {@code ln_before} (then the projection is
 * {@code adapter_down.1}, and the layer norm is also saved as {@code adapter_norm_before}, as
 * PyTorch lists a module registered twice).
 */
final class BottleneckWeights extends AdapterWeights {

    private final BnConfig config;
    private final Parameter normBeforeWeight;
    private final Parameter normBeforeBias;
    private final Parameter downWeight;
    private final Parameter downBias;
    private final Parameter upWeight;
    private final Parameter upBias;
    private final Parameter normAfterWeight;
    private final Parameter normAfterBias;
    private final Parameter scaling;

    /**
     * Creates the weights with the config's initialisation.
     *
     * @param config the config
     * @param hidden the hidden size
     * @param width the bottleneck width
     * @param manager the model's manager (its device)
     */
    BottleneckWeights(BnConfig config, long hidden, int width, NDManager manager) {
        this.config = config;
        NDArray[] down = init(config.initWeights(), manager, new Shape(width, hidden), true);
        NDArray[] up = init(config.initWeights(), manager, new Shape(hidden, width), false);
        normBeforeWeight = config.lnBefore() ? newParameter("norm_before_weight", manager.ones(new Shape(hidden))) : null;
        normBeforeBias = config.lnBefore() ? newParameter("norm_before_bias", manager.zeros(new Shape(hidden))) : null;
        downWeight = newParameter("down_weight", down[0]);
        downBias = newParameter("down_bias", down[1]);
        upWeight = newParameter("up_weight", up[0]);
        upBias = newParameter("up_bias", up[1]);
        normAfterWeight = config.lnAfter() ? newParameter("norm_after_weight", manager.ones(new Shape(hidden))) : null;
        normAfterBias = config.lnAfter() ? newParameter("norm_after_bias", manager.zeros(new Shape(hidden))) : null;
        BnScaling s = config.scaling();
        scaling = s.factor() != null ? null
                : newParameter("scaling", manager.ones(s.learned().equals("channel") ? new Shape(hidden) : new Shape(1)));
    }

    /** The library's initialisations: bert N(0, 0.02); mam_adapter Kaiming-uniform down, zero up; houlsby truncated N(0, 0.01). */
    private static NDArray[] init(String how, NDManager manager, Shape shape, boolean down) {
        NDArray weight = switch (how) {
            case "mam_adapter" -> down
                    ? manager.randomUniform(-bound(shape), bound(shape), shape, DataType.FLOAT32)
                    : manager.zeros(shape);
            case "houlsby" -> truncatedNormal(manager, shape, 0.01, 0.02);
            default -> manager.randomNormal(0, 0.02f, shape, DataType.FLOAT32);
        };
        return new NDArray[] {weight, manager.zeros(new Shape(shape.get(0)))};
    }

    /** {@code kaiming_uniform_(a=sqrt(5))}: U(+-1/sqrt(fan_in)). */
    private static float bound(Shape shape) {
        return (float) (1 / Math.sqrt(shape.get(1)));
    }

    /** {@code trunc_normal_(std, a=-limit, b=limit)} by redrawing values outside the limits. */
    private static NDArray truncatedNormal(NDManager manager, Shape shape, double std, double limit) {
        long seed;
        try (NDArray draw = manager.randomInteger(0, Integer.MAX_VALUE, new Shape(), DataType.INT32)) {
            seed = draw.getInt(); // follows the engine's random seed
        }
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            double v;
            do {
                v = random.nextGaussian() * std;
            } while (Math.abs(v) > limit);
            values[i] = (float) v;
        }
        try (NDArray overJavaMemory = manager.create(values, shape)) {
            return overJavaMemory.duplicate(); // a copy PyTorch owns
        }
    }

    BnConfig config() {
        return config;
    }

    Parameter downWeight() {
        return downWeight;
    }

    Parameter downBias() {
        return downBias;
    }

    Parameter upWeight() {
        return upWeight;
    }

    Parameter upBias() {
        return upBias;
    }

    Parameter normBeforeWeight() {
        return normBeforeWeight;
    }

    Parameter normBeforeBias() {
        return normBeforeBias;
    }

    Parameter normAfterWeight() {
        return normAfterWeight;
    }

    Parameter normAfterBias() {
        return normAfterBias;
    }

    Parameter scaling() {
        return scaling;
    }

    /**
     * The library's state-dict names of these weights, in its order, with the parameter each holds.
     *
     * @return name to parameter; {@code ln_before} lists its layer norm twice
     */
    Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        String down = "adapter_down.0.";
        if (normBeforeWeight != null) {
            named.put("adapter_norm_before.weight", normBeforeWeight);
            named.put("adapter_norm_before.bias", normBeforeBias);
            named.put("adapter_down.0.weight", normBeforeWeight);
            named.put("adapter_down.0.bias", normBeforeBias);
            down = "adapter_down.1.";
        }
        named.put(down + "weight", downWeight);
        named.put(down + "bias", downBias);
        named.put("adapter_up.weight", upWeight);
        named.put("adapter_up.bias", upBias);
        if (normAfterWeight != null) {
            named.put("adapter_norm_after.weight", normAfterWeight);
            named.put("adapter_norm_after.bias", normAfterBias);
        }
        if (scaling != null) {
            named.put("scaling", scaling);
        }
        return named;
    }
}

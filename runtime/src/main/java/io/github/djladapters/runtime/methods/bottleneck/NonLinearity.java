package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.github.djladapters.runtime.engine.Scalars;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The activations of {@code non_linearity}, as the Adapters library's {@code Activation_Function_Class}
 * resolves them through transformers' {@code get_activation} ({@code gelu} is the exact, erf-based
 * GELU; {@code gelu_new} its tanh approximation; {@code swish} is SiLU; {@code leakyrelu} has slope
 * 0.01).
 */
final class NonLinearity {

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private NonLinearity() {}

    static UnaryOperator<NDArray> of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "relu" -> Activation::relu;
            case "swish", "silu" -> x -> x.mul(Activation.sigmoid(x));
            case "gelu", "gelu_orig" -> NonLinearity::gelu;
            case "gelu_new" -> NonLinearity::geluTanh;
            case "tanh" -> Activation::tanh;
            case "sigmoid" -> Activation::sigmoid;
            case "leakyrelu" -> x -> Activation.leakyRelu(x, 0.01f);
            case "linear" -> x -> x;
            default -> throw new IllegalArgumentException("non_linearity '" + name + "' is not supported");
        };
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    static NDArray gelu(NDArray x) {
        return Scalars.mul(x, 0.5).mul(Scalars.mul(x, 1 / Math.sqrt(2)).erf().add(1f));
    }

    /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715)), SQRT_2_OVER_PI).tanh();
        return Scalars.mul(x, 0.5).mul(inner.add(1f));
    }
}

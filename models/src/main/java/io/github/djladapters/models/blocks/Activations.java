package io.github.djladapters.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.github.djladapters.runtime.engine.Scalars;
import java.util.function.UnaryOperator;

/**
 * The activation functions named in Hugging Face configs ({@code activation_function},
 * {@code feed_forward_proj}), with transformers' meaning of each name.
 */
public final class Activations {

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private Activations() {}

    /**
     * The activation with a transformers name.
     *
     * @param name {@code gelu_new}, {@code gelu_pytorch_tanh}, {@code gelu_fast} (GELU's tanh
     *     approximation), {@code gelu} (exact, erf: PyTorch's native kernel), {@code relu} or {@code tanh}
     * @return the function
     * @throws IllegalArgumentException for another name
     */
    public static UnaryOperator<NDArray> byName(String name) {
        return switch (name) {
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Activations::geluTanh;
            case "gelu" -> Activation::gelu;
            case "relu" -> Activation::relu;
            case "tanh" -> NDArray::tanh;
            default -> throw new IllegalArgumentException("activation '" + name
                    + "' is not supported; expected gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu or tanh");
        };
    }

    /**
     * GELU's tanh approximation ({@code gelu_new}):
     * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     *
     * @param x any array
     * @return the activation, same shape
     */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715)), SQRT_2_OVER_PI).tanh();
        return Scalars.mul(x, 0.5).mul(inner.add(1f));
    }
}

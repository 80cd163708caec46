package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

/**
 * P-tuning's MLP encoder as PEFT builds it: a table {@code embedding [n, d]} through
 * {@code mlp_head}: Linear(d, h), ReLU, Linear(h, h), ReLU, Linear(h, d). Parameters carry PEFT's
 * names ({@code embedding.weight} is {@code embedding}, the others as in {@code state_dict}).
 */
public final class PromptMlpEncoder extends VirtualTokenWeights {

    private final Parameter embedding;
    private final Parameter[] weights = new Parameter[3];
    private final Parameter[] biases = new Parameter[3];

    /**
     * A fresh encoder with PyTorch's default initialisation: N(0, 1) embeddings, linear layers
     * uniform in {@code +-1/sqrt(fan_in)}.
     *
     * @param virtualTokens {@code n}
     * @param tokenDim {@code d}
     * @param hidden {@code h}
     * @param manager owns the arrays (the model's parameter manager)
     */
    public PromptMlpEncoder(int virtualTokens, int tokenDim, int hidden, NDManager manager) {
        embedding = newParameter("embedding", manager.randomNormal(new Shape(virtualTokens, tokenDim)));
        int[][] dims = {{hidden, tokenDim}, {hidden, hidden}, {tokenDim, hidden}};
        for (int i = 0; i < 3; i++) {
            float bound = (float) (1 / Math.sqrt(dims[i][1]));
            weights[i] = newParameter("mlp_head." + (2 * i) + ".weight",
                    manager.randomUniform(-bound, bound, new Shape(dims[i][0], dims[i][1]), DataType.FLOAT32));
            biases[i] = newParameter("mlp_head." + (2 * i) + ".bias",
                    manager.randomUniform(-bound, bound, new Shape(dims[i][0]), DataType.FLOAT32));
        }
    }

    @Override
    protected Parameter embedding() {
        return embedding;
    }

    @Override
    public NDArray prompts(NDManager manager) {
        NDArray x = owned(embedding.getArray().get(":"), manager);
        for (int i = 0; i < 3; i++) {
            x = Linear.linear(x, weights[i].getArray(), biases[i].getArray()).head();
            if (i < 2) {
                x = Activation.relu(x);
            }
        }
        return x;
    }
}

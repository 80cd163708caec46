package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;

/**
 * One prompt-tuning or P-tuning adapter's weights: whatever computes its virtual-token embeddings
 * {@code [num_virtual_tokens, token_dim]}, the tensor PEFT saves as {@code prompt_embeddings}.
 */
public abstract class VirtualTokenWeights extends AdapterWeights {

    /**
     * The learned table the embeddings come from, {@code [num_virtual_tokens, token_dim]}: the
     * embeddings themselves for prompt tuning, an encoder's input (of the same shape) for P-tuning.
     *
     * @return the table's parameter
     */
    protected abstract Parameter embedding();

    /**
     * How many virtual tokens.
     *
     * @return at least 1
     */
    public final int virtualTokens() {
        return (int) embedding().getArray().getShape().get(0);
    }

    /**
     * The embedding width.
     *
     * @return {@code token_dim}
     */
    public final int tokenDim() {
        return (int) embedding().getArray().getShape().get(1);
    }

    /**
     * The virtual-token embeddings, connected to the parameters for gradients.
     *
     * @param manager owns the result (never a parameter array itself)
     * @return {@code [num_virtual_tokens, token_dim]}
     */
    public abstract NDArray prompts(NDManager manager);

    /**
     * The shape of {@code prompt_embeddings}.
     *
     * @return {@code [num_virtual_tokens, token_dim]}
     */
    public final Shape savedShape() {
        return new Shape(virtualTokens(), tokenDim());
    }

    /** Moves an op's result (which joined a parameter's manager) to {@code manager}. */
    static NDArray owned(NDArray result, NDManager manager) {
        result.attach(manager);
        return result;
    }
}

package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;

/**
 * One prompt-tuning or P-tuning adapter's weights: whatever computes its virtual-token embeddings
 * {@code [num_virtual_tokens * num_transformer_submodules, token_dim]}, the tensor PEFT saves as
 * {@code prompt_embeddings}. The inputs get the first {@code num_virtual_tokens} rows: with two
 * submodules (PEFT's default for an encoder-decoder model) PEFT's table has twice the rows, its
 * {@code PeftModelForSeq2SeqLM} prepends {@code prompts[:, :num_virtual_tokens]} to the encoder's
 * input and leaves the decoder alone, so the second half is trained by nothing and saved as it is.
 */
public abstract class VirtualTokenWeights extends AdapterWeights {

    private int submodules = 1;

    /**
     * The learned table the embeddings come from, {@code [rows, token_dim]}: the embeddings
     * themselves for prompt tuning, an encoder's input (of the same shape) for P-tuning.
     *
     * @return the table's parameter
     */
    protected abstract Parameter embedding();

    /**
     * Sets PEFT's {@code num_transformer_submodules}: the table holds that many blocks of
     * {@link #virtualTokens()} rows, and the inputs get the first block.
     *
     * @param count 1 or 2, dividing the table's rows
     * @return these weights
     * @throws IllegalArgumentException when {@code count} does not divide the rows
     */
    public final VirtualTokenWeights submodules(int count) {
        long rows = embedding().getArray().getShape().get(0);
        if (count < 1 || rows % count != 0) {
            throw new IllegalArgumentException("a table of " + rows + " virtual-token rows cannot hold "
                    + count + " transformer submodules");
        }
        submodules = count;
        return this;
    }

    /**
     * PEFT's {@code num_transformer_submodules} for this table.
     *
     * @return 1 or 2
     */
    public final int submodules() {
        return submodules;
    }

    /**
     * How many virtual tokens the inputs get.
     *
     * @return at least 1
     */
    public final int virtualTokens() {
        return (int) embedding().getArray().getShape().get(0) / submodules;
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
     * The embeddings that go before the inputs: the first {@link #virtualTokens()} rows of
     * {@link #prompts} (all of them with one submodule).
     *
     * @param manager owns the result
     * @return {@code [num_virtual_tokens, token_dim]}
     */
    public final NDArray inputPrompts(NDManager manager) {
        NDArray all = prompts(manager);
        return submodules == 1 ? all : all.get("0:" + virtualTokens());
    }

    /**
     * The shape of {@code prompt_embeddings}.
     *
     * @return {@code [num_virtual_tokens * num_transformer_submodules, token_dim]}
     */
    public final Shape savedShape() {
        return new Shape(embedding().getArray().getShape().get(0), tokenDim());
    }

    /** Moves an op's result (which joined a parameter's manager) to {@code manager}. */
    static NDArray owned(NDArray result, NDManager manager) {
        result.attach(manager);
        return result;
    }
}

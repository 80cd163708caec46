package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

/**
 * A table of virtual-token embeddings learned directly: prompt tuning, and any prompt adapter loaded
 * from PEFT's files (where P-tuning's encoder output was saved in its place).
 */
public final class PromptTable extends VirtualTokenWeights {

    private final Parameter embedding;

    /**
     * A table holding {@code values}.
     *
     * @param values {@code [num_virtual_tokens, token_dim]}, owned by the table from now on
     */
    public PromptTable(NDArray values) {
        embedding = newParameter("embedding", values);
    }

    /**
     * The learned table.
     *
     * @return {@code [num_virtual_tokens, token_dim]}
     */
    @Override
    public Parameter embedding() {
        return embedding;
    }


    @Override
    public NDArray prompts(NDManager manager) {
        // a view, so that the parameter itself never moves to a forward's manager
        return owned(embedding.getArray().get(":"), manager);
    }
}

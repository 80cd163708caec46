package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.InputExtendingBlock;
import io.github.djladapters.runtime.architecture.ModelInputs;

/**
 * The decoder of a causal language model without its head (GPT-2's {@code transformer}, Llama's
 * {@code model}): token embeddings, layers run by {@link DecoderStack}, a final norm. The subclass
 * declares those blocks as annotated fields and writes {@link #hiddenStates}; this class gives the
 * block's forward: it takes {@code input_ids [B, T]} and optionally {@code attention_mask [B, T]}
 * (all ones when absent) and {@code position_ids [B, T]} (counted over tokens when absent), and
 * returns the final hidden states {@code [B, T, H]}.
 */
public abstract class DecoderModel extends InputExtendingBlock {

    private final int hiddenSize;
    private Embedding tokenTable;

    /**
     * A decoder of the given hidden width.
     *
     * @param hiddenSize the hidden width {@code H}
     */
    protected DecoderModel(int hiddenSize) {
        this.hiddenSize = hiddenSize;
    }

    /**
     * The final hidden states of new tokens, reading and extending {@code cache}; applies the
     * installed input extension after the token lookup.
     *
     * @param ps the parameter store
     * @param ids {@code [B, T]}
     * @param mask {@code [B, P + T]}
     * @param positions {@code [B, T]}
     * @param cache the cache, or {@code null}
     * @param training whether this is a training pass
     * @param params passed through to the layers
     * @return {@code [B, T, H]}
     */
    public abstract NDArray hiddenStates(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions,
            KeyValueCache cache, boolean training, PairList<String, Object> params);

    /**
     * The token table as built, for a tied LM head (even when an adapter wraps the embedding).
     *
     * @return the token embedding
     * @throws IllegalStateException when the subclass added none
     */
    public final Embedding tokenTable() {
        if (tokenTable == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " added no token table");
        }
        return tokenTable;
    }

    /**
     * Adds the token embedding under its checkpoint name; call once from the constructor.
     *
     * @param name the child name ({@code wte}, {@code embed_tokens})
     * @param vocabSize the number of token ids
     * @return the block to keep in the subclass's annotated field
     */
    protected final Block addTokenTable(String name, int vocabSize) {
        tokenTable = new Embedding(vocabSize, hiddenSize);
        return addChildBlock(name, tokenTable);
    }

    /**
     * Looks up the tokens with {@code embedding} (the field, possibly wrapped by an adapter) and
     * applies the installed input extension.
     *
     * @param ps the parameter store
     * @param embedding the token embedding block
     * @param ids {@code [B, T]}
     * @param mask {@code [B, P + T]}
     * @param positions {@code [B, T]}
     * @param training whether this is a training pass
     * @param params passed through to the embedding
     * @return the embedded, possibly extended inputs
     */
    protected final ModelInputs embed(ParameterStore ps, Block embedding, NDArray ids, NDArray mask,
            NDArray positions, boolean training, PairList<String, Object> params) {
        NDArray tokens = embedding.forward(ps, new NDList(ids), training, params).head();
        return extendInputs(new ModelInputs(tokens, mask, positions, null));
    }

    @Override
    protected NDList forwardInScope(ParameterStore ps, NDArray ids, NDArray mask, NDList inputs, ForwardScope scope,
            boolean training, PairList<String, Object> params) {
        NDArray positions = inputs.size() > 2 ? inputs.get(2)
                : CausalAttentionMask.positionIds(mask, ids.getShape().get(1));
        return new NDList(hiddenStates(ps, ids, mask, positions, null, training, params));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hiddenSize)};
    }
}

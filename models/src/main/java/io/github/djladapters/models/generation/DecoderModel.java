package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.InputExtendingBlock;

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
     */
    public abstract Embedding tokenTable();

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDManager caller = ids.getManager();
        try (ForwardScope scope = ForwardScope.open(caller, training)) {
            scope.adopt(inputs);
            NDArray mask = attentionMaskOrOnes(inputs, scope);
            NDArray positions = inputs.size() > 2 ? inputs.get(2)
                    : CausalAttentionMask.positionIds(mask, ids.getShape().get(1));
            NDArray out = hiddenStates(ps, ids, mask, positions, null, training, params);
            out.attach(caller);
            return new NDList(out);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hiddenSize)};
    }
}

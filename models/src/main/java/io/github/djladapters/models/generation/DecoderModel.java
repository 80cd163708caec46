package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.InputExtendingBlock;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.architecture.ModuleList;
import io.github.djladapters.runtime.architecture.RealTokens;
import java.util.List;

/**
 * The decoder of a causal language model without its head (GPT-2's {@code transformer}, Llama's
 * {@code model}): token embeddings, layers run by {@link DecoderStack} under the causal attention
 * bias, a final norm. The subclass registers those blocks under their checkpoint names with
 * {@link #addTokenTable}, {@link #addLayers} and {@link #addFinalNorm}, keeps them in annotated
 * fields, and says in {@link #layerInputs} what else the layers read (learned positions, rotary
 * tables). The block's forward takes {@code input_ids [B, T]} and optionally
 * {@code attention_mask [B, T]} (all ones when absent) and {@code position_ids [B, T]} (counted over
 * tokens when absent), and returns the final hidden states {@code [B, T, H]}.
 */
public abstract class DecoderModel extends InputExtendingBlock {

    private final int hiddenSize;
    private Embedding tokenTable;
    private int tokenTableChild = -1;
    private List<? extends Block> layers;
    private Block finalNorm;

    /**
     * A decoder of the given hidden width.
     *
     * @param hiddenSize the hidden width {@code H}
     */
    protected DecoderModel(int hiddenSize) {
        this.hiddenSize = hiddenSize;
    }

    /**
     * The hidden states the first layer reads, from the embedded (and possibly extended) inputs;
     * inputs that every layer reads after the attention bias go into {@code shared}.
     *
     * @param ps the parameter store
     * @param in the token embeddings {@code [B, T, H]}, the mask {@code [B, P + T]} and the positions
     *     {@code [B, T]}
     * @param shared the layers' shared inputs, holding the additive causal bias; append to it
     * @param training whether this is a training pass
     * @param params passed through to blocks
     * @return {@code [B, T, H]}
     */
    protected abstract NDArray layerInputs(ParameterStore ps, ModelInputs in, NDList shared, boolean training,
            PairList<String, Object> params);

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
    public final NDArray hiddenStates(ParameterStore ps, NDArray ids, NDArray mask, NDArray positions,
            KeyValueCache cache, boolean training, PairList<String, Object> params) {
        NDArray tokens = tokenEmbedding().forward(ps, new NDList(ids), training, params).head();
        ModelInputs in = extendInputs(new ModelInputs(tokens, mask, positions, null));
        long length = in.embeddings().getShape().get(1);
        NDList shared = new NDList(CausalAttentionMask.bias(in.attentionMask(), length));
        NDArray first = layerInputs(ps, in, shared, training, params);
        NDArray last;
        try (RealTokens.Scope window = RealTokens.open(in.attentionMask(), length)) {
            last = DecoderStack.run(ps, layers, first, shared, cache, training, params);
        }
        return finalNorm.forward(ps, new NDList(last), training, params).head();
    }

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
        Block added = addChildBlock(name, tokenTable);
        tokenTableChild = children.size() - 1;
        return added;
    }

    /**
     * Adds the layers under their checkpoint name, as children {@code name.0}, {@code name.1}, ...;
     * call once from the constructor.
     *
     * @param <L> the layer type
     * @param name the child name ({@code h}, {@code layers})
     * @param blocks the layers, in order
     * @return the layers, to keep in the subclass's {@code @Layers} field
     */
    protected final <L extends Block> List<L> addLayers(String name, List<L> blocks) {
        List<L> added = addChildBlock(name, new ModuleList<>(blocks)).asList();
        layers = added;
        return added;
    }

    /**
     * Adds the norm over the last layer's output; call once from the constructor.
     *
     * @param <B> the block type
     * @param name the child name ({@code ln_f}, {@code norm})
     * @param norm the norm
     * @return {@code norm}, to keep in the subclass's field
     */
    protected final <B extends Block> B addFinalNorm(String name, B norm) {
        finalNorm = addChildBlock(name, norm);
        return norm;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = new Shape(1, 1, hiddenSize);
        tokenEmbedding().initialize(manager, dataType, new Shape(1, 1));
        for (Block layer : layers) {
            layer.initialize(manager, dataType, hidden, new Shape(1, 1, 1, 1));
        }
        finalNorm.initialize(manager, dataType, hidden);
    }

    /** The token embedding as the child list holds it now: the table, or an adapter that replaced it. */
    private Block tokenEmbedding() {
        tokenTable(); // fails when there is none
        return children.valueAt(tokenTableChild);
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

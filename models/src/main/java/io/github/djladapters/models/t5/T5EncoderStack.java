package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.PaddingMask;
import java.util.ArrayList;
import java.util.List;

/**
 * The T5 encoder ({@code encoder}): {@code num_layers} blocks with bidirectional relative position
 * buckets, then {@code final_layer_norm}. Its {@link #forward} takes the token embeddings
 * {@code [B, S, d_model]} and optionally the attention mask {@code [B, S]}, and returns the encoder
 * output {@code [B, S, d_model]}.
 */
public final class T5EncoderStack extends T5Stack<T5EncoderBlock> {

    /**
     * An uninitialised encoder.
     *
     * @param config the architecture
     */
    public T5EncoderStack(T5Config config) {
        super(config, blocks(config));
    }

    private static List<T5EncoderBlock> blocks(T5Config config) {
        List<T5EncoderBlock> blocks = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new T5EncoderBlock(config, i == 0));
        }
        return blocks;
    }

    /**
     * The encoder output.
     *
     * @param ps the parameter store
     * @param embeddings the token embeddings {@code [B, S, d_model]}
     * @param mask 1 for tokens and 0 for padding, {@code [B, S]}
     * @param training whether this is a training pass
     * @param params passed through to the blocks
     * @return {@code [B, S, d_model]}
     */
    NDArray hiddenStates(ParameterStore ps, NDArray embeddings, NDArray mask, boolean training,
            PairList<String, Object> params) {
        long length = embeddings.getShape().get(1);
        return withPositionBias(ps, embeddings, positionBias(ps, embeddings.getManager(), length, length, 0, training),
                mask, training, params);
    }

    /**
     * The encoder output for rows that number their positions themselves
     * ({@link T5Attention#rowPositionBias}).
     *
     * @param ps the parameter store
     * @param embeddings the token embeddings {@code [B, S, d_model]}
     * @param mask 1 for tokens and 0 for padding, {@code [B, S]}
     * @param positions each row's positions {@code [B, S]} int64
     * @param training whether this is a training pass
     * @param params passed through to the blocks
     * @return {@code [B, S, d_model]}
     */
    NDArray hiddenStates(ParameterStore ps, NDArray embeddings, NDArray mask, NDArray positions, boolean training,
            PairList<String, Object> params) {
        return withPositionBias(ps, embeddings, block.get(0).selfAttention().rowPositionBias(ps, positions, training),
                mask, training, params);
    }

    private NDArray withPositionBias(ParameterStore ps, NDArray embeddings, NDArray positionBias, NDArray mask,
            boolean training, PairList<String, Object> params) {
        NDArray bias = positionBias.add(PaddingMask.bias(mask));
        NDArray hidden = embeddings;
        for (T5EncoderBlock layer : block) {
            // One scope per block frees its intermediates at its end, in training too (see ForwardScope.openLayer).
            NDArray in = hidden;
            hidden = ForwardScope.runLayer(new NDList(in, bias), training,
                    scope -> layer.forward(ps, new NDList(in, bias), training, params).head());
        }
        return final_layer_norm.forward(ps, new NDList(hidden), training, params).head();
    }

    /**
     * Embeds token ids and runs the encoder, freeing every intermediate array.
     *
     * @param ps the parameter store
     * @param embeddings the token embedding ({@code shared}, or an adapter wrapping it)
     * @param ids the input tokens {@code [B, S]}
     * @param mask 1 for tokens and 0 for padding, {@code [B, S]}
     * @param training whether this is a training pass
     * @param params passed through to the blocks
     * @return the encoder output {@code [B, S, d_model]}, owned by the manager of {@code ids}
     */
    NDArray encode(ParameterStore ps, Block embeddings, NDArray ids, NDArray mask, boolean training,
            PairList<String, Object> params) {
        return ForwardScope.run(new NDList(ids, mask), training, scope -> hiddenStates(ps,
                embeddings.forward(ps, new NDList(ids), training, params).head(), mask, training, params));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray embeddings = inputs.get(0);
        return new NDList(ForwardScope.run(inputs, training, scope -> {
            NDArray mask = inputs.size() > 1 ? inputs.get(1)
                    : scope.ones(embeddings.getShape().slice(0, 2), DataType.INT64);
            return hiddenStates(ps, embeddings, mask, training, params);
        }));
    }
}

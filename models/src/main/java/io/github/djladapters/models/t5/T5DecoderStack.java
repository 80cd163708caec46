package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.models.blocks.PaddingMask;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.DecoderStack;
import io.github.djladapters.models.generation.EncoderDecoderCache;
import io.github.djladapters.models.generation.KeyValueCache;
import java.util.ArrayList;
import java.util.List;

/**
 * The T5 decoder ({@code decoder}): {@code num_decoder_layers} blocks with causal self-attention
 * (unidirectional relative position buckets) and cross-attention over the encoder output, then
 * {@code final_layer_norm}. Its {@link #forward} takes the decoder token embeddings
 * {@code [B, T, d_model]}, the encoder output {@code [B, S, d_model]}, the encoder attention mask
 * {@code [B, S]} and optionally the decoder attention mask {@code [B, T]}, and returns the decoder
 * output {@code [B, T, d_model]}.
 */
public final class T5DecoderStack extends T5Stack<T5DecoderBlock> {

    /**
     * An uninitialised decoder.
     *
     * @param config the architecture
     */
    public T5DecoderStack(T5Config config) {
        super(config, blocks(config));
    }

    private static List<T5DecoderBlock> blocks(T5Config config) {
        List<T5DecoderBlock> blocks = new ArrayList<>();
        for (int i = 0; i < config.numDecoderLayers(); i++) {
            blocks.add(new T5DecoderBlock(config, i == 0));
        }
        return blocks;
    }

    /**
     * The decoder output of new positions, reading and extending {@code cache}.
     *
     * @param ps the parameter store
     * @param embeddings the embeddings of the new decoder tokens {@code [B, T, d_model]}
     * @param decoderMask 1 for tokens and 0 for padding over the cached and new positions
     *     {@code [B, P + T]}, or null for all tokens
     * @param encoderHidden the encoder output {@code [B, S, d_model]}
     * @param encoderMask the encoder attention mask {@code [B, S]}
     * @param cache the caches, or null; cross-attention keys and values are projected when it has none
     * @param training whether this is a training pass
     * @param params passed through to the blocks
     * @return {@code [B, T, d_model]}
     */
    NDArray hiddenStates(ParameterStore ps, NDArray embeddings, NDArray decoderMask, NDArray encoderHidden,
            NDArray encoderMask, EncoderDecoderCache cache, boolean training, PairList<String, Object> params) {
        NDManager manager = embeddings.getManager();
        long length = embeddings.getShape().get(1);
        long past = cache == null ? 0 : cache.self().length();
        NDArray mask = decoderMask != null ? decoderMask
                : manager.ones(new Shape(embeddings.getShape().get(0), past + length), DataType.INT64);
        NDArray selfBias = positionBias(ps, manager, length, past + length, past, training)
                .add(CausalAttentionMask.bias(mask, length));
        NDList shared = new NDList(selfBias, PaddingMask.bias(encoderMask));
        List<NDList> crossKeyValues = new ArrayList<>();
        for (int i = 0; i < block.size(); i++) {
            KeyValueCache cross = cache == null ? null : cache.cross();
            if (cross != null && cross.keys(i) != null) {
                crossKeyValues.add(new NDList(cross.keys(i), cross.values(i)));
                continue;
            }
            T5DecoderBlock decoderBlock = block.get(i);
            NDList keyValues = training // a training pass frees the projections' intermediates at once
                    ? ForwardScope.runLayerOutputs(new NDList(encoderHidden), true,
                            scope -> decoderBlock.crossKeyValues(ps, encoderHidden, true, params))
                    : decoderBlock.crossKeyValues(ps, encoderHidden, false, params);
            if (cross != null) {
                cross.update(i, keyValues.get(0), keyValues.get(1));
            }
            crossKeyValues.add(keyValues);
        }
        NDArray last = DecoderStack.run(ps, block, embeddings, shared, crossKeyValues,
                cache == null ? null : cache.self(), training, params);
        return final_layer_norm.forward(ps, new NDList(last), training, params).head();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray decoderMask = inputs.size() > 3 ? inputs.get(3) : null;
        return new NDList(ForwardScope.run(inputs, training, scope -> hiddenStates(ps, inputs.get(0), decoderMask,
                inputs.get(1), inputs.get(2), null, training, params)));
    }
}

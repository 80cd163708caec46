package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import java.util.List;

/**
 * Runs the layers of a decoder one after another with a {@link KeyValueCache}: each layer gets
 * {@code (hidden, shared inputs..., [its own inputs...], [cached keys, cached values])} and returns
 * {@code (hidden, all keys, all values)}, which replace its cache entry. A preallocated cache hands each
 * layer its {@link KeyValueCache.Append} among the parameters, through which the layer writes its new
 * keys and values in place; the cached views a layer reads belong to the forward pass's manager. A
 * training pass without a cache runs each layer in a {@link ForwardScope#runLayer layer scope}, which
 * frees the layer's intermediates at its end.
 */
public final class DecoderStack {

    private DecoderStack() {}

    /**
     * Runs every layer.
     *
     * @param ps the parameter store
     * @param layers the decoder layers, in order
     * @param hidden the input hidden states {@code [B, T, H]}
     * @param shared inputs every layer receives after the hidden states (mask, rotary tables)
     * @param cache the cache to read and update, or {@code null}
     * @param training whether this is a training pass
     * @param params extra parameters passed through to the layers
     * @return the hidden states after the last layer
     */
    public static NDArray run(ParameterStore ps, List<? extends Block> layers, NDArray hidden, NDList shared,
            KeyValueCache cache, boolean training, PairList<String, Object> params) {
        return run(ps, layers, hidden, shared, null, cache, training, params);
    }

    /**
     * Runs every layer, giving each also inputs of its own (such as the cross-attention keys and
     * values of an encoder-decoder): layer {@code i} gets
     * {@code (hidden, shared..., perLayer[i]..., [cached keys, cached values])}.
     *
     * @param ps the parameter store
     * @param layers the decoder layers, in order
     * @param hidden the input hidden states {@code [B, T, H]}
     * @param shared inputs every layer receives after the hidden states
     * @param perLayer inputs for each layer, after the shared ones; {@code null} for none
     * @param cache the cache to read and update, or {@code null}
     * @param training whether this is a training pass
     * @param params extra parameters passed through to the layers
     * @return the hidden states after the last layer
     */
    public static NDArray run(ParameterStore ps, List<? extends Block> layers, NDArray hidden, NDList shared,
            List<NDList> perLayer, KeyValueCache cache, boolean training, PairList<String, Object> params) {
        NDArray current = hidden;
        for (int i = 0; i < layers.size(); i++) {
            NDList in = new NDList(current);
            in.addAll(shared);
            if (perLayer != null) {
                in.addAll(perLayer.get(i));
            }
            if (cache != null) {
                in.addAll(cache.read(i, current.getManager()));
            }
            Block layer = layers.get(i);
            if (cache == null && training) {
                // A training pass frees each layer's intermediates (and its unused keys and values) at the
                // layer's end; what autograd saved stays alive through its own references.
                current = ForwardScope.runLayer(in, true, scope -> layer.forward(ps, in, true, params).head());
                continue;
            }
            NDList out = layer.forward(ps, in, training, cache == null ? params : cache.layerParams(i, params));
            current = out.get(0);
            if (cache != null) {
                cache.update(i, out.get(1), out.get(2));
            }
        }
        return current;
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * Runs the layers of a decoder one after another with a {@link KeyValueCache}: each layer gets
 * {@code (hidden, shared inputs..., [cached keys, cached values])} and returns
 * {@code (hidden, all keys, all values)}, which replace its cache entry.
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
        NDArray current = hidden;
        for (int i = 0; i < layers.size(); i++) {
            NDList in = new NDList(current);
            in.addAll(shared);
            if (cache != null && cache.keys(i) != null) {
                in.add(cache.keys(i));
                in.add(cache.values(i));
            }
            NDList out = layers.get(i).forward(ps, in, training, params);
            current = out.get(0);
            if (cache != null) {
                cache.update(i, out.get(1), out.get(2));
            }
        }
        return current;
    }
}

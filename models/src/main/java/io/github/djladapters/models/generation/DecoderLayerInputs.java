package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.util.PairList;

/**
 * The inputs of one decoder layer (and of its self-attention) by name, in the order
 * {@link DecoderStack} passes them: {@code (hidden, attention bias, positional..., [cached keys,
 * cached values])}. An architecture says how many positional inputs it has (none for GPT-2 and T5,
 * the rotary {@code cos} and {@code sin} tables and half-rotation matrix for Llama); the cached keys and values, when
 * present, follow them.
 *
 * <pre>{@code
 * DecoderLayerInputs in = DecoderLayerInputs.of(inputs, 3);   // Llama: cos, sin, rotate-half
 * NDArray keys = in.withCachedKeys(freshKeys);                 // [B, kvHeads, P + T, headDim]
 * }</pre>
 *
 * @param hidden the hidden states {@code [B, T, H]}
 * @param attentionBias the additive attention mask {@code [B, 1 or heads, T, P + T]}
 * @param positional the architecture's positional inputs (possibly empty)
 * @param cachedKeys the keys of the {@code P} earlier positions, or {@code null} without a cache
 * @param cachedValues the values of the earlier positions, or {@code null} without a cache
 */
public record DecoderLayerInputs(NDArray hidden, NDArray attentionBias, NDList positional, NDArray cachedKeys,
        NDArray cachedValues) {

    /**
     * Names the inputs of a layer.
     *
     * @param inputs {@code (hidden, bias, positional..., [keys, values])}
     * @param positionalCount how many positional inputs the architecture passes after the bias
     * @return the named inputs
     * @throws IllegalArgumentException when the list has neither 0 nor 2 inputs after the positional ones
     */
    public static DecoderLayerInputs of(NDList inputs, int positionalCount) {
        int cacheAt = 2 + positionalCount;
        int cached = inputs.size() - cacheAt;
        if (cached != 0 && cached != 2) {
            throw new IllegalArgumentException("a decoder layer takes hidden states, an attention bias, "
                    + positionalCount + " positional inputs and optionally cached keys and values; got "
                    + inputs.size() + " inputs");
        }
        NDList positional = new NDList();
        for (int i = 2; i < cacheAt; i++) {
            positional.add(inputs.get(i));
        }
        return new DecoderLayerInputs(inputs.get(0), inputs.get(1), positional,
                cached == 0 ? null : inputs.get(cacheAt), cached == 0 ? null : inputs.get(cacheAt + 1));
    }

    /**
     * Whether cached keys and values came with the inputs.
     *
     * @return true with a cache entry
     */
    public boolean hasCache() {
        return cachedKeys != null;
    }

    /**
     * The same inputs with other hidden states (a layer passes its normalised input to attention).
     *
     * @param replacement the hidden states to carry instead
     * @return the new inputs
     */
    public DecoderLayerInputs withHidden(NDArray replacement) {
        return new DecoderLayerInputs(replacement, attentionBias, positional, cachedKeys, cachedValues);
    }

    /**
     * The keys of all positions: the cached ones followed by {@code fresh} along the sequence axis.
     *
     * @param fresh the keys of the new positions {@code [B, kvHeads, T, headDim]}
     * @return {@code [B, kvHeads, P + T, headDim]}
     */
    public NDArray withCachedKeys(NDArray fresh) {
        return cachedKeys == null ? fresh : cachedKeys.concat(fresh, 2);
    }

    /**
     * The values of all positions: the cached ones followed by {@code fresh} along the sequence axis.
     *
     * @param fresh the values of the new positions {@code [B, kvHeads, T, headDim]}
     * @return {@code [B, kvHeads, P + T, headDim]}
     */
    public NDArray withCachedValues(NDArray fresh) {
        return cachedValues == null ? fresh : cachedValues.concat(fresh, 2);
    }

    /**
     * The keys of all positions, written in place into a preallocated {@link KeyValueCache} when the
     * layer's parameters carry its {@link KeyValueCache.Append}, else as {@link #withCachedKeys(NDArray)}.
     *
     * @param fresh the keys of the new positions {@code [B, kvHeads, T, headDim]}
     * @param params the parameters the layer received
     * @return {@code [B, kvHeads, P + T, headDim]}
     */
    public NDArray withCachedKeys(NDArray fresh, PairList<String, Object> params) {
        KeyValueCache.Append append = cachedKeys == null ? null : KeyValueCache.Append.of(params);
        return append != null ? append.keys(fresh) : withCachedKeys(fresh);
    }

    /**
     * The values of all positions, as {@link #withCachedKeys(NDArray, PairList)} does for keys.
     *
     * @param fresh the values of the new positions {@code [B, kvHeads, T, headDim]}
     * @param params the parameters the layer received
     * @return {@code [B, kvHeads, P + T, headDim]}
     */
    public NDArray withCachedValues(NDArray fresh, PairList<String, Object> params) {
        KeyValueCache.Append append = cachedValues == null ? null : KeyValueCache.Append.of(params);
        return append != null ? append.values(fresh) : withCachedValues(fresh);
    }

    /**
     * The inputs as the positional list a block's forward takes.
     *
     * @return {@code (hidden, bias, positional..., [keys, values])}
     */
    public NDList toList() {
        NDList list = new NDList(hidden, attentionBias);
        list.addAll(positional);
        if (cachedKeys != null) {
            list.add(cachedKeys);
            list.add(cachedValues);
        }
        return list;
    }
}

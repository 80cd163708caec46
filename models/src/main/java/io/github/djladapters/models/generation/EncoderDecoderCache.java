package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDManager;

/**
 * The caches of an encoder-decoder's decoder: the self-attention keys and values of the positions
 * decoded so far, extended at every step, and the cross-attention keys and values of the encoder
 * output, filled at the first step and reused unchanged after it.
 */
public final class EncoderDecoderCache implements AutoCloseable {

    private final KeyValueCache self;
    private final KeyValueCache cross;

    /**
     * Empty caches.
     *
     * @param parent the manager the caches' own managers are opened under
     * @param layers the number of decoder layers
     */
    public EncoderDecoderCache(NDManager parent, int layers) {
        self = new KeyValueCache(parent, layers);
        cross = new KeyValueCache(parent, layers);
    }

    /**
     * The decoder self-attention cache.
     *
     * @return keys and values {@code [B, heads, P, headDim]} per layer
     */
    public KeyValueCache self() {
        return self;
    }

    /**
     * The cross-attention cache.
     *
     * @return keys and values {@code [B, heads, S, headDim]} per layer, or empty before the first step
     */
    public KeyValueCache cross() {
        return cross;
    }

    /** Frees every cached array. */
    @Override
    public void close() {
        self.close();
        cross.close();
    }
}

package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * An encoder-decoder language model that {@link Seq2SeqGenerator} can drive: it encodes the input
 * once, then runs new decoder tokens against an optional {@link EncoderDecoderCache} and returns
 * next-token logits.
 *
 * <pre>{@code
 * NDArray encoded = model.encode(ps, ids, mask);                                  // [B, S, H]
 * NDArray logits = model.decoderLogits(ps, start, encoded, mask, cache, true);     // [B, 1, vocab]
 * }</pre>
 */
public interface Seq2SeqLanguageModel extends Block {

    /**
     * The number of decoder layers, one cache entry each.
     *
     * @return the decoder layer count
     */
    int numDecoderLayers();

    /**
     * The number of token ids the logits cover.
     *
     * @return the vocabulary size
     */
    int vocabSize();

    /**
     * The token every decoder sequence starts with.
     *
     * @return {@code decoder_start_token_id}
     */
    int decoderStartTokenId();

    /**
     * Runs the encoder.
     *
     * @param ps the parameter store
     * @param inputIds the input tokens {@code [B, S]} (int64)
     * @param attentionMask 1 for tokens and 0 for padding, {@code [B, S]}
     * @return the encoder output {@code [B, S, H]}, owned by the manager of {@code inputIds}
     */
    NDArray encode(ParameterStore ps, NDArray inputIds, NDArray attentionMask);

    /**
     * Runs {@code decoderInputIds} after the positions already in {@code cache}, attending to the
     * encoder output, appends their keys and values to the cache, and returns the logits.
     *
     * @param ps the parameter store
     * @param decoderInputIds the new decoder tokens {@code [B, T]} (int64)
     * @param encoderHidden the output of {@link #encode}
     * @param encoderMask the attention mask given to {@link #encode}
     * @param cache the decoder caches, updated in place; {@code null} to run without them (then
     *     {@code decoderInputIds} must hold the whole decoder sequence)
     * @param lastPositionOnly whether to return only the logits of the last position
     * @return logits {@code [B, T, vocab]}, or {@code [B, 1, vocab]}; owned by the manager of
     *     {@code decoderInputIds}
     */
    NDArray decoderLogits(ParameterStore ps, NDArray decoderInputIds, NDArray encoderHidden, NDArray encoderMask,
            EncoderDecoderCache cache, boolean lastPositionOnly);
}

package io.github.djladapters.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns a batch of texts into the padded model inputs of a BERT-family encoder with a local
 * Hugging Face {@code tokenizer.json}: {@code input_ids}, {@code attention_mask} (1 for tokens, 0
 * for padding) and {@code token_type_ids}, each {@code [B, T]} int64, padded to the longest text and
 * truncated to {@code maxLength}.
 *
 * <pre>{@code
 * try (PaddedBatchTokenizer tokenizer = PaddedBatchTokenizer.open(Path.of("tokenizer.json"), 512)) {
 *     NDList inputs = tokenizer.encode(List.of("a short text", "a longer one"), manager);
 * }
 * }</pre>
 */
public final class PaddedBatchTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final long padId;
    private final boolean padsLeft;

    private PaddedBatchTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        // the tokenizer's own padding (its id and side), read off a batch of two lengths: the API does not expose it
        Encoding[] probe = tokenizer.batchEncode(List.of("a", "a a a a"));
        long[] shortIds = probe[0].getIds();
        long[] shortMask = probe[0].getAttentionMask();
        int padAt = -1;
        for (int i = 0; i < shortMask.length && padAt < 0; i++) {
            padAt = shortMask[i] == 0 ? i : -1;
        }
        this.padId = padAt < 0 ? 0 : shortIds[padAt];
        this.padsLeft = padAt == 0;
    }

    /**
     * Loads a tokenizer.json file (no network access).
     *
     * @param tokenizerJson the path of tokenizer.json
     * @param maxLength the longest sequence, special tokens included
     * @return the tokenizer; close it to free the native tokenizer
     * @throws IOException when the file cannot be read
     */
    public static PaddedBatchTokenizer open(Path tokenizerJson, int maxLength) throws IOException {
        return new PaddedBatchTokenizer(HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optPadding(true)
                .optTruncation(true)
                .optMaxLength(maxLength)
                .build());
    }

    /**
     * Tokenizes texts into padded id arrays.
     *
     * @param texts the texts
     * @return ids, mask and token types, one row per text
     */
    public TokenBatch tokenize(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        long[][] ids = new long[encodings.length][];
        long[][] mask = new long[encodings.length][];
        long[][] types = new long[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            ids[i] = encodings[i].getIds();
            mask[i] = encodings[i].getAttentionMask();
            types[i] = encodings[i].getTypeIds();
        }
        return new TokenBatch(ids, mask, types);
    }

    /**
     * Batches tokenised apart (say, on the threads of their requests) as one padded batch, padded as
     * {@link #tokenize} pads: the same rows as tokenising all their texts at once.
     *
     * @param parts batches from {@link #tokenize}, in order
     * @return their rows, padded to the longest
     */
    public TokenBatch concat(List<TokenBatch> parts) {
        return TokenBatch.concat(parts, padId, padsLeft);
    }

    /**
     * Tokenizes texts into model inputs.
     *
     * @param texts the texts
     * @param manager owns the arrays
     * @return {@code input_ids}, {@code attention_mask}, {@code token_type_ids}
     */
    public NDList encode(List<String> texts, NDManager manager) {
        return tokenize(texts).toNDList(manager);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

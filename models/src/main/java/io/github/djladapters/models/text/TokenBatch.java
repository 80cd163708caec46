package io.github.djladapters.models.text;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * A padded batch of token ids, one row per text, all rows the same length.
 *
 * @param inputIds token ids
 * @param attentionMask 1 for tokens, 0 for padding
 * @param tokenTypeIds segment ids
 */
public record TokenBatch(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {

    /**
     * The number of texts.
     *
     * @return batch size
     */
    public int size() {
        return inputIds.length;
    }

    /**
     * The padded length.
     *
     * @return tokens per row
     */
    public int length() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /**
     * Batches tokenised apart, one after the other in one batch, each row padded to the longest row
     * of all: ids with {@code padId}, mask and token types with 0, on the side the tokenizer pads.
     *
     * @param parts the batches, in order
     * @param padId the padding token's id
     * @param padLeft whether padding goes before the tokens
     * @return one batch of all their rows
     */
    public static TokenBatch concat(List<TokenBatch> parts, long padId, boolean padLeft) {
        int rows = 0;
        int length = 0;
        for (TokenBatch part : parts) {
            rows += part.size();
            length = Math.max(length, part.length());
        }
        long[][] ids = new long[rows][];
        long[][] mask = new long[rows][];
        long[][] types = new long[rows][];
        int row = 0;
        for (TokenBatch part : parts) {
            for (int i = 0; i < part.size(); i++, row++) {
                ids[row] = padded(part.inputIds()[i], length, padId, padLeft);
                mask[row] = padded(part.attentionMask()[i], length, 0, padLeft);
                types[row] = padded(part.tokenTypeIds()[i], length, 0, padLeft);
            }
        }
        return new TokenBatch(ids, mask, types);
    }

    private static long[] padded(long[] row, int length, long pad, boolean padLeft) {
        if (row.length == length) {
            return row;
        }
        long[] out = new long[length];
        int offset = padLeft ? length - row.length : 0;
        java.util.Arrays.fill(out, pad);
        System.arraycopy(row, 0, out, offset, row.length);
        return out;
    }

    /**
     * The inputs as int64 arrays {@code [B, T]}.
     *
     * @param manager owns the arrays
     * @return {@code input_ids}, {@code attention_mask}, {@code token_type_ids}
     */
    public NDList toNDList(NDManager manager) {
        return new NDList(matrix(manager, inputIds, "input_ids"), matrix(manager, attentionMask, "attention_mask"),
                matrix(manager, tokenTypeIds, "token_type_ids"));
    }

    private static NDArray matrix(NDManager manager, long[][] rows, String name) {
        NDArray array = ArrayValues.owned(manager.create(rows)); // embedding backward keeps the ids
        array.setName(name);
        return array;
    }
}

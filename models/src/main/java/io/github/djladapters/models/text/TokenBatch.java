package io.github.djladapters.models.text;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

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

package io.github.djladapters.models.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Random;

/** The row-split tests' batch for a tiny BERT (40 tokens): ids, mask and types of rows padded to different lengths. */
public final class PaddedBatch {

    /** Rows of the batch. */
    public static final int ROWS = 7;
    /** Tokens per row, padding included. */
    public static final int TOKENS = 9;

    private PaddedBatch() {}

    /**
     * Token ids with padded tails of different lengths (rows 1, 4 and 6), their mask and zero token types.
     *
     * @param manager owns the arrays
     * @return ids, mask, types, each {@code [ROWS, TOKENS]}
     */
    public static NDList of(NDManager manager) {
        Random random = new Random(11);
        long[][] ids = new long[ROWS][TOKENS];
        long[][] mask = new long[ROWS][TOKENS];
        int[] lengths = {TOKENS, 5, TOKENS, TOKENS, 3, TOKENS, 7};
        for (int r = 0; r < ROWS; r++) {
            for (int t = 0; t < TOKENS; t++) {
                ids[r][t] = t < lengths[r] ? 1 + random.nextInt(39) : 0;
                mask[r][t] = t < lengths[r] ? 1 : 0;
            }
        }
        NDArray idArray = manager.create(ids);
        return new NDList(idArray, manager.create(mask), manager.zeros(idArray.getShape(), idArray.getDataType()));
    }
}

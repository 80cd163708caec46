package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.kernels.AttentionKernel;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link DotProductAttention#context} against attention written out in loops over plain arrays, for
 * grouped-query attention (query heads sharing key/value heads, attended without copying them per
 * query head) and for one key/value head per query head, with the mask shapes the decoders pass;
 * in PyTorch's fused kernel and written out in DJL ops ({@link AttentionKernel}'s switch).
 */
class DotProductAttentionTest {

    private static final int BATCH = 2;
    private static final int HEADS = 6;
    private static final int HEAD_DIM = 4;
    private static final int KEYS = 5;

    @ParameterizedTest
    @CsvSource({
        "2, 3, none", "2, 3, shared", "2, 3, per-head", "2, 1, decode", "3, 2, per-head",
        "6, 3, shared", "6, 1, per-head", "1, 3, shared"})
    void matchesLoopsOverHeads(int kvHeads, int queries, String maskKind) {
        Random random = new Random(kvHeads * 31L + queries);
        float[] q = values(random, BATCH * HEADS * queries * HEAD_DIM);
        float[] k = values(random, BATCH * kvHeads * KEYS * HEAD_DIM);
        float[] v = values(random, BATCH * kvHeads * KEYS * HEAD_DIM);
        int maskHeads = maskKind.equals("per-head") ? HEADS : 1;
        int maskRows = maskKind.equals("decode") ? 1 : queries;
        float[] mask = maskKind.equals("none") ? null : mask(random, BATCH * maskHeads * maskRows * KEYS);
        float scale = 0.35f;
        try (NDManager manager = NDManager.newBaseManager()) {
            // the query as the blocks make it: a [B, T, heads, headDim] projection with heads moved forward
            NDArray query = manager.create(transposeHeadsAndPositions(q, queries), new Shape(BATCH, queries, HEADS, HEAD_DIM))
                    .transpose(0, 2, 1, 3);
            NDArray keys = manager.create(k, new Shape(BATCH, kvHeads, KEYS, HEAD_DIM));
            NDArray vals = manager.create(v, new Shape(BATCH, kvHeads, KEYS, HEAD_DIM));
            NDArray bias = mask == null ? null : manager.create(mask, new Shape(BATCH, maskHeads, maskRows, KEYS));
            float[] expected = expected(q, k, v, mask, maskHeads, maskRows, kvHeads, queries, scale);
            for (boolean kernel : new boolean[] {true, false}) {
                AttentionKernel.setEnabled(kernel);
                try {
                    NDArray context = DotProductAttention.context(new Attention(kvHeads), query, keys, vals, bias,
                            scale);
                    assertEquals(new Shape(BATCH, queries, HEADS * HEAD_DIM), context.getShape());
                    assertArrayEquals(expected, context.toFloatArray(), 2e-6f, kernel ? "kernel" : "written out");
                } finally {
                    AttentionKernel.setEnabled(true);
                }
            }
        }
    }

    /** Loops: context[b, t, h * d + i] = sum_s softmax_s(q . k scale + mask) v[s, i], head h on key head h / groups. */
    private static float[] expected(float[] q, float[] k, float[] v, float[] mask, int maskHeads, int maskRows,
            int kvHeads, int queries, float scale) {
        int groups = HEADS / kvHeads;
        float[] out = new float[BATCH * queries * HEADS * HEAD_DIM];
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                int kh = h / groups;
                for (int t = 0; t < queries; t++) {
                    double[] scores = new double[KEYS];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s < KEYS; s++) {
                        double dot = 0;
                        for (int i = 0; i < HEAD_DIM; i++) {
                            dot += q[((b * HEADS + h) * queries + t) * HEAD_DIM + i]
                                    * k[((b * kvHeads + kh) * KEYS + s) * HEAD_DIM + i];
                        }
                        scores[s] = dot * scale;
                        if (mask != null) {
                            int mh = maskHeads == 1 ? 0 : h;
                            int mt = maskRows == 1 ? 0 : t;
                            scores[s] += mask[((b * maskHeads + mh) * maskRows + mt) * KEYS + s];
                        }
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s < KEYS; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int i = 0; i < HEAD_DIM; i++) {
                        double acc = 0;
                        for (int s = 0; s < KEYS; s++) {
                            acc += scores[s] / sum * v[((b * kvHeads + kh) * KEYS + s) * HEAD_DIM + i];
                        }
                        out[((b * queries + t) * HEADS + h) * HEAD_DIM + i] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    /** {@code [B, heads, T, d]} values laid out as {@code [B, T, heads, d]}. */
    private static float[] transposeHeadsAndPositions(float[] q, int queries) {
        float[] out = new float[q.length];
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int t = 0; t < queries; t++) {
                    System.arraycopy(q, ((b * HEADS + h) * queries + t) * HEAD_DIM, out,
                            ((b * queries + t) * HEADS + h) * HEAD_DIM, HEAD_DIM);
                }
            }
        }
        return out;
    }

    private static float[] values(Random random, int size) {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    /** 0 (attend) or -1e4 (hide) at random, never hiding the first key. */
    private static float[] mask(Random random, int size) {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = i % KEYS != 0 && random.nextInt(3) == 0 ? -1e4f : 0f;
        }
        return out;
    }

    /** An attention block with no extension, only its key/value geometry. */
    private static final class Attention extends KeyValueAttentionBlock {

        Attention(int kvHeads) {
            super(kvHeads, HEAD_DIM);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            throw new UnsupportedOperationException("only its geometry is used");
        }
    }
}

package io.github.djladapters.models.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link TorchKernels#sdpa}'s grouped-query attention as query rows per key/value head gives the
 * numbers of {@code scaled_dot_product_attention(..., enable_gqa=True)} (the form it replaced) for
 * every mask shape the blocks pass: none, a padding row {@code [B, 1, 1, S]}, a prompt's
 * {@code [B, 1, T, S]}, per-head masks, a batch-broadcast mask, with one and several query positions,
 * and for an independent computation with the key/value heads repeated.
 */
class GroupedQueryRowsTest {

    private static final float TOLERANCE = 1e-5f;

    @AfterEach
    void switchBack() {
        TorchKernels.setGroupedQueryRows(true);
    }

    @ParameterizedTest
    @CsvSource({
        "1, none", "1, padding", "5, none", "5, padding", "5, prompt", "5, per-head", "5, per-head-row",
        "5, batch-broadcast", "1, per-head"})
    void queryRowsGiveTheEnableGqaNumbers(int length, String maskKind) {
        long batch = 3;
        long heads = 6;
        long kvHeads = 2;
        long keys = 7;
        long headDim = 8;
        TorchKernels kernels = TorchKernels.on(Device.cpu());
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(length * 31 + maskKind.hashCode());
            // the query as blocks make it: [B, T, heads, d] with heads moved forward (not contiguous)
            NDArray q = manager.randomNormal(new Shape(batch, length, heads, headDim)).transpose(0, 2, 1, 3);
            NDArray k = manager.randomNormal(new Shape(batch, kvHeads, keys, headDim));
            NDArray v = manager.randomNormal(new Shape(batch, kvHeads, keys, headDim));
            NDArray mask = mask(manager, maskKind, batch, heads, length, keys);

            NDArray rows = kernels.sdpa(q, k, v, mask, 0f, false, 0.3f);
            TorchKernels.setGroupedQueryRows(false);
            NDArray gqa = kernels.sdpa(q, k, v, mask, 0f, false, 0.3f);
            TorchKernels.setGroupedQueryRows(true);

            NDArray repeatedK = AttentionHeads.repeat(k, heads);
            NDArray repeatedV = AttentionHeads.repeat(v, heads);
            NDArray scores = q.matMul(repeatedK.transpose(0, 1, 3, 2)).mul(0.3f);
            NDArray reference = (mask == null ? scores : scores.add(mask)).softmax(-1).matMul(repeatedV);

            assertEquals(new Shape(batch, heads, length, headDim), rows.getShape());
            float toEnableGqa = rows.sub(gqa).abs().max().getFloat();
            float toReference = rows.sub(reference).abs().max().getFloat();
            assertTrue(toEnableGqa <= TOLERANCE, "against enable_gqa: " + toEnableGqa);
            assertTrue(toReference <= TOLERANCE, "against repeated heads: " + toReference);
            assertTrue(gqa.sub(reference).abs().max().getFloat() <= TOLERANCE, "the reference itself");
        }
    }

    /** 0 to attend, -1e4 to hide, never hiding key 0; shapes as named. */
    private static NDArray mask(NDManager manager, String kind, long batch, long heads, long length, long keys) {
        Shape shape = switch (kind) {
            case "none" -> null;
            case "padding" -> new Shape(batch, 1, 1, keys);
            case "prompt" -> new Shape(batch, 1, length, keys);
            case "per-head" -> new Shape(batch, heads, length, keys);
            case "per-head-row" -> new Shape(batch, heads, 1, keys);
            case "batch-broadcast" -> new Shape(1, 1, length, keys);
            default -> throw new IllegalArgumentException(kind);
        };
        if (shape == null) {
            return null;
        }
        NDArray hidden = manager.randomUniform(0f, 1f, shape).lt(0.3f);
        NDArray firstKey = manager.arange(keys).eq(0).reshape(1, 1, 1, keys);
        return hidden.logicalAnd(firstKey.logicalNot()).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mul(-1e4f);
    }
}

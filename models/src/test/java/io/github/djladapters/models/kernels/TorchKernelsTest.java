package io.github.djladapters.models.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.GradientCollector;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.engine.Scalars;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The TorchScript kernels module loads from the archive written in Java, and its attention matches
 * attention written out in DJL ops (matmul, softmax, matmul), forward and backward, with and without
 * a mask and with grouped key/value heads; its dropout draws DJL's masks; calls release what they
 * allocate.
 */
class TorchKernelsTest {

    @Test
    void theModuleLoadsOncePerDevice() {
        assertTrue(TorchKernels.available());
        assertTrue(TorchKernels.on(Device.cpu()) == TorchKernels.on(Device.cpu()));
    }

    @Test
    void attentionWithoutMaskMatchesTheWrittenOutAttention() {
        compare(2, 4, 4, 5, 5, false, 0.35f);
    }

    @Test
    void attentionWithPaddingMaskMatches() {
        compare(2, 4, 4, 5, 7, true, 0.5f);
    }

    @Test
    void groupedQueryAttentionMatchesRepeatedHeads() {
        compare(2, 6, 2, 3, 4, true, 1f);
    }

    @Test
    void dropoutDrawsTheMasksOfDjlDropoutFromTheSameSeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(3);
            NDArray q = seeded(manager, random, new Shape(2, 3, 6, 8));
            NDArray k = seeded(manager, random, new Shape(2, 3, 6, 8));
            NDArray v = seeded(manager, random, new Shape(2, 3, 6, 8));
            Engine.getInstance().setRandomSeed(5);
            float[] fused = TorchKernels.on(Device.cpu()).sdpa(q, k, v, null, 0.3f, false, 0.5f).toFloatArray();
            Engine.getInstance().setRandomSeed(5);
            NDArray probs = Scalars.mul(q, 0.5).matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
            float[] written = Dropout.dropout(probs, 0.3f, true).head().matMul(v).toFloatArray();
            float[] kept = probs.matMul(v).toFloatArray();
            double changed = 0;
            for (int i = 0; i < fused.length; i++) {
                assertEquals(written[i], fused[i], 1e-5f, "element " + i);
                changed = Math.max(changed, Math.abs(fused[i] - kept[i]));
            }
            assertTrue(changed > 0.1, "dropout changed the context");
        }
    }

    @Test
    void repeatedCallsReleaseTheirArraysAndTensors() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(9);
            Shape shape = new Shape(4, 4, 256, 64); // 1 MiB per tensor: 300 leaked results would be 300 MiB
            NDArray q = seeded(manager, random, shape);
            NDArray k = seeded(manager, random, shape);
            NDArray v = seeded(manager, random, shape);
            NDArray mask = manager.zeros(new Shape(4, 1, 1, 256));
            TorchKernels kernels = TorchKernels.on(Device.cpu());
            for (int i = 0; i < 20; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    kernels.sdpa(q, k, v, mask, 0f, false, 0.125f).attach(scope);
                }
            }
            int arrays = manager.getManagedArrays().size();
            long rss = residentBytes();
            for (int i = 0; i < 300; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    kernels.sdpa(q, k, v, i % 2 == 0 ? mask : null, 0f, false, 0.125f).attach(scope);
                }
            }
            assertEquals(arrays, manager.getManagedArrays().size(), "arrays of the caller's manager");
            long grown = residentBytes() - rss;
            assertTrue(grown < 64L << 20, "resident memory grew by " + (grown >> 20) + " MiB over 300 calls");
        }
    }

    /** VmRSS of this process from /proc. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void aTrainableMaskGetsTheGradientOfTheWrittenOutAttention() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(4);
            NDArray q = seeded(manager, random, new Shape(1, 2, 5, 8));
            NDArray k = seeded(manager, random, new Shape(1, 2, 5, 8));
            NDArray v = seeded(manager, random, new Shape(1, 2, 5, 8));
            NDArray bias = seeded(manager, random, new Shape(1, 2, 5, 5)); // T5's position bias: a parameter
            NDArray weights = seeded(manager, random, new Shape(1, 2, 5, 8));
            float[][] gradients = new float[2][];
            for (int variant = 0; variant < 2; variant++) {
                try (NDManager scope = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray mask = leaf(bias, scope);
                    NDArray shifted = mask.mul(2); // a mask inside the graph, as T5's bias plus padding is
                    NDArray out = variant == 0 ? TorchKernels.on(Device.cpu()).sdpa(q, k, v, shifted, 0f, false, 1f)
                            : q.matMul(k.transpose(0, 1, 3, 2)).add(shifted).softmax(-1).matMul(v);
                    collector.backward(out.mul(weights).sum());
                    gradients[variant] = mask.getGradient().toFloatArray();
                }
            }
            double largest = 0;
            for (int i = 0; i < gradients[1].length; i++) {
                assertEquals(gradients[1][i], gradients[0][i], 1e-5f, "mask gradient " + i);
                largest = Math.max(largest, Math.abs(gradients[1][i]));
            }
            assertTrue(largest > 1e-3, "the mask gets a gradient");
        }
    }

    @Test
    void aBadCallNamesTheProblem() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = manager.ones(new Shape(1, 1, 2, 3));
            NDArray k = manager.ones(new Shape(1, 1, 2, 4)); // head size differs from q's
            assertThrows(RuntimeException.class,
                    () -> TorchKernels.on(Device.cpu()).sdpa(q, k, k, null, 0f, false, 1f));
        }
    }

    private static void compare(int batch, int heads, int kvHeads, int length, int keyLength, boolean masked,
            float scale) {
        int headDim = 8;
        Random random = new Random(heads * 31 + keyLength);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = seeded(manager, random, new Shape(batch, heads, length, headDim));
            NDArray k = seeded(manager, random, new Shape(batch, kvHeads, keyLength, headDim));
            NDArray v = seeded(manager, random, new Shape(batch, kvHeads, keyLength, headDim));
            NDArray mask = null;
            if (masked) {
                float[] bias = new float[batch * keyLength];
                for (int b = 0; b < batch; b++) {
                    for (int s = keyLength - b - 1; s < keyLength; s++) {
                        bias[b * keyLength + s] = -1e4f; // the last b + 1 keys of row b are padding
                    }
                }
                mask = ArrayValues.owned(manager.create(bias, new Shape(batch, 1, 1, keyLength)));
            }
            NDArray weights = seeded(manager, random, new Shape(batch, heads, length, headDim));
            float[][] fused = run(q, k, v, mask, weights, true, scale, heads);
            float[][] written = run(q, k, v, mask, weights, false, scale, heads);
            for (int part = 0; part < fused.length; part++) {
                for (int i = 0; i < fused[part].length; i++) {
                    assertEquals(written[part][i], fused[part][i], 2e-5f, "part " + part + " element " + i);
                }
            }
        }
    }

    /** The output and the gradients of q, k and v of sum(attention * weights). */
    private static float[][] run(NDArray query, NDArray key, NDArray value, NDArray mask, NDArray weights,
            boolean fused, float scale, int heads) {
        try (NDManager scope = query.getManager().newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray q = leaf(query, scope);
            NDArray k = leaf(key, scope);
            NDArray v = leaf(value, scope);
            NDArray out;
            if (fused) {
                out = TorchKernels.on(Device.cpu()).sdpa(q, k, v, mask, 0f, false, scale);
            } else {
                NDArray keys = AttentionHeads.repeat(k, heads);
                NDArray values = AttentionHeads.repeat(v, heads);
                NDArray scores = Scalars.mul(q.matMul(keys.transpose(0, 1, 3, 2)), scale);
                if (mask != null) {
                    scores = scores.add(mask);
                }
                out = scores.softmax(-1).matMul(values);
            }
            out.attach(scope);
            float[] values = out.toFloatArray();
            collector.backward(out.mul(weights).sum());
            return new float[][] {values, q.getGradient().toFloatArray(), k.getGradient().toFloatArray(),
                v.getGradient().toFloatArray()};
        }
    }

    /** A copy with a gradient of its own, so that the two runs do not add into one gradient. */
    private static NDArray leaf(NDArray values, NDManager scope) {
        NDArray copy = values.duplicate();
        copy.attach(scope);
        copy.setRequiresGradient(true);
        return copy;
    }

    private static NDArray seeded(NDManager manager, Random random, Shape shape) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return ArrayValues.owned(manager.create(values, shape));
    }
}

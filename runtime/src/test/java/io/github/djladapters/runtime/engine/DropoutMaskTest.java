package io.github.djladapters.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Dropout with Java-drawn masks: the same math as libtorch's dropout (kept elements scaled by the same
 * float factor, the gradient through the same mask), Bernoulli(1 - p) masks, reproducible from the
 * engine's seed and independent of how many threads drew them.
 */
class DropoutMaskTest {

    @AfterEach
    void switchBack() {
        DropoutMask.setEnabled(true);
    }

    @Test
    void keptElementsAreScaledAsLibtorchScalesThemAndDroppedOnesAreZero() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(4, 33, 17));
            float p = 0.1f;
            float[] in = x.toFloatArray();
            float[] ours = DropoutMask.apply(x, p).toFloatArray();
            DropoutMask.setEnabled(false);
            float[] torch = DropoutMask.apply(x, p).toFloatArray();
            int kept = 0;
            int bothKept = 0;
            for (int i = 0; i < in.length; i++) {
                if (ours[i] != 0) {
                    kept++;
                    assertEquals(in[i] * (1f / (1f - p)), ours[i], 0f, "element " + i);
                    if (torch[i] != 0) {
                        bothKept++;
                        assertEquals(torch[i], ours[i], 0f, "libtorch's kept value at " + i);
                    }
                }
            }
            assertTrue(kept > 0.8 * in.length && kept < in.length, "kept " + kept + " of " + in.length);
            assertTrue(bothKept > 0.7 * in.length, "both kept " + bothKept);
        }
    }

    @Test
    void appliedFloatMaskIsTheBooleanMaskOfTheSameSeedScaled() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(3, DropoutMask.CHUNK + 5)); // two chunks, an odd tail
            float p = 0.3f;
            Engine.getInstance().setRandomSeed(77);
            float[] applied = DropoutMask.apply(x, p).toFloatArray();
            Engine.getInstance().setRandomSeed(77);
            long seed = manager.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64).getLong();
            NDArray keep = DropoutMask.mask(manager, x.getShape(), p, seed);
            float[] expected = x.mul(keep.toType(DataType.FLOAT32, false).muli(1f / (1f - p))).toFloatArray();
            assertArrayEquals(expected, applied);
        }
    }

    @Test
    void anEmptyArrayGoesThroughAsAnEmptyArray() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray empty = manager.zeros(new Shape(0, 3));
            assertEquals(new Shape(0, 3), DropoutMask.apply(empty, 0.1f).getShape());
        }
    }

    @Test
    void gradientGoesThroughTheMaskWithTheSameFactor() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(8, 40));
            NDArray g = manager.randomNormal(new Shape(8, 40));
            x.setRequiresGradient(true);
            float p = 0.3f;
            float[] out;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = DropoutMask.apply(x, p);
                out = y.toFloatArray();
                collector.backward(y.mul(g).sum());
            }
            float[] grad = x.getGradient().toFloatArray();
            float[] gs = g.toFloatArray();
            for (int i = 0; i < out.length; i++) {
                float expected = out[i] == 0 ? 0f : gs[i] * (1f / (1f - p));
                assertEquals(expected, grad[i], 1e-6f * Math.abs(expected) + 1e-7f, "gradient " + i);
            }
        }
    }

    @Test
    void masksKeepOneMinusPOfTheElements() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int n = 1 << 20; // 16 chunks
            for (float p : new float[] {0.1f, 0.5f, 0.9f}) {
                boolean[] keep = DropoutMask.mask(manager, new Shape(n), p, 12345L).toBooleanArray();
                long kept = 0;
                for (boolean k : keep) {
                    kept += k ? 1 : 0;
                }
                double expected = n * (1.0 - p);
                double sd = Math.sqrt(n * p * (1.0 - p));
                assertTrue(Math.abs(kept - expected) < 5 * sd, "p " + p + ": kept " + kept + ", expected " + expected);
            }
        }
    }

    @Test
    void consecutiveChunksAgreeOnlyAsOftenAsIndependentDrawsWould() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int n = 4 * DropoutMask.CHUNK;
            float p = 0.5f;
            boolean[] keep = DropoutMask.mask(manager, new Shape(n), p, 42L).toBooleanArray();
            // element i of a chunk against element i + s of the previous chunk, for the shifts a chunk
            // stream that continues the previous one would show (two elements per word)
            for (int shift : new int[] {0, 1, 2, 3, 4}) {
                long agree = 0;
                long compared = 0;
                for (int chunk = 1; chunk < 4; chunk++) {
                    for (int i = 0; i + shift < DropoutMask.CHUNK; i++) {
                        boolean now = keep[chunk * DropoutMask.CHUNK + i];
                        boolean before = keep[(chunk - 1) * DropoutMask.CHUNK + i + shift];
                        agree += now == before ? 1 : 0;
                        compared++;
                    }
                }
                // independent draws agree half the time at p = 0.5; five standard deviations either side
                double sd = Math.sqrt(compared * 0.25);
                assertTrue(Math.abs(agree - compared / 2.0) < 5 * sd,
                        "shift " + shift + ": " + agree + " of " + compared + " elements agree");
            }
        }
    }

    @Test
    void theMaskIsTheChunkedSplittableRandomStreamWhateverTheThreads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int n = 3 * DropoutMask.CHUNK + 7; // a short last chunk, with an odd element
            long seed = 987654321L;
            float p = 0.25f;
            long threshold = Math.round(0.75 * 4294967296.0);
            boolean[] expected = new boolean[n];
            for (int chunk = 0; chunk * DropoutMask.CHUNK < n; chunk++) {
                long z = seed + chunk * 0x9E3779B97F4A7C15L; // Stafford's mix 13 of the chunk's seed
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                SplittableRandom random = new SplittableRandom(z ^ (z >>> 31));
                int end = Math.min(n, (chunk + 1) * DropoutMask.CHUNK);
                for (int i = chunk * DropoutMask.CHUNK; i < end; i += 2) {
                    long word = random.nextLong();
                    expected[i] = (word & 0xFFFFFFFFL) < threshold;
                    if (i + 1 < end) {
                        expected[i + 1] = (word >>> 32) < threshold;
                    }
                }
            }
            String key = "ai.djl.pytorch.num_threads";
            String before = System.getProperty(key);
            try {
                float[] scaled = new float[n];
                for (int i = 0; i < n; i++) {
                    scaled[i] = expected[i] ? 1f / (1f - p) : 0f;
                }
                for (String threads : new String[] {"1", "4"}) {
                    System.setProperty(key, threads);
                    assertArrayEquals(expected, DropoutMask.mask(manager, new Shape(n), p, seed).toBooleanArray());
                    // the float32 mask written in place: the same elements, kept ones exactly the factor
                    assertArrayEquals(scaled, DropoutMask.scaledMask(manager, new Shape(n), p, seed).toFloatArray());
                }
            } finally {
                if (before == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, before);
                }
            }
        }
    }

    @Test
    void masksOfEverySizeDrawnInTurnOnOneThreadAreTheMasksDrawnAlone() throws Exception {
        // one staging buffer per thread, cut to each mask's size and grown for a larger one
        int[] sizes = {2 * DropoutMask.CHUNK + 3, 17, DropoutMask.CHUNK + 1, 5 * DropoutMask.CHUNK, 17};
        float p = 0.4f;
        boolean[][] alone = new boolean[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            int size = sizes[i];
            long seed = 1000L + i;
            java.util.concurrent.ExecutorService fresh = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                alone[i] = fresh.submit(() -> {
                    try (NDManager manager = NDManager.newBaseManager()) {
                        return DropoutMask.mask(manager, new Shape(size), p, seed).toBooleanArray();
                    }
                }).get();
            } finally {
                fresh.shutdown();
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < sizes.length; i++) {
                assertArrayEquals(alone[i], DropoutMask.mask(manager, new Shape(sizes[i]), p, 1000L + i).toBooleanArray(),
                        "mask " + i + " of " + sizes[i] + " elements");
            }
        }
    }

    @Test
    void theEngineSeedFixesTheMasks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(64, 64));
            Engine.getInstance().setRandomSeed(3);
            float[] first = DropoutMask.apply(x, 0.5f).toFloatArray();
            float[] second = DropoutMask.apply(x, 0.5f).toFloatArray();
            Engine.getInstance().setRandomSeed(3);
            float[] again = DropoutMask.apply(x, 0.5f).toFloatArray();
            assertArrayEquals(first, again, 0f);
            assertFalse(java.util.Arrays.equals(first, second), "the next call draws a new mask");
        }
    }

    @Test
    void zeroProbabilityReturnsTheInputAndBadProbabilitiesAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(3));
            assertSame(x, DropoutMask.apply(x, 0f));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropoutMask.apply(x, 1f));
            assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> DropoutMask.apply(x, Float.NaN));
        }
    }

    @Test
    void switchedOffItIsLibtorchsDropout() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(16, 16));
            DropoutMask.setEnabled(false);
            assertFalse(DropoutMask.drawsFor(x));
            Engine.getInstance().setRandomSeed(9);
            float[] ours = DropoutMask.apply(x, 0.2f).toFloatArray();
            Engine.getInstance().setRandomSeed(9);
            float[] torch = Dropout.dropout(x, 0.2f, true).head().toFloatArray();
            assertArrayEquals(torch, ours, 0f);
            assertEquals(DataType.FLOAT32, DropoutMask.apply(x, 0.2f).getDataType());
        }
    }

    @Test
    void rowWindowsDrawTheRowsOfTheWholeBatchsMasks() {
        // rows of 40001 elements: odd offsets and group bounds inside 65536-element chunks
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape whole = new Shape(6, 40001);
            float p = 0.3f;
            Engine.getInstance().setRandomSeed(21);
            float[] first = DropoutMask.apply(manager.ones(whole), p).toFloatArray();
            float[] second = DropoutMask.apply(manager.ones(new Shape(6, 7)), p).toFloatArray();
            float next = manager.randomUniform(0, 1, new Shape(1)).getFloat();

            Engine.getInstance().setRandomSeed(21);
            DropoutMask.Seeds seeds = new DropoutMask.Seeds();
            int[] bounds = {0, 1, 4, 6};
            float[] firstRows = new float[first.length];
            float[] secondRows = new float[second.length];
            for (int g = 0; g < 3; g++) {
                int rows = bounds[g + 1] - bounds[g];
                try (DropoutMask.Window window = DropoutMask.forRows(seeds, bounds[g], rows, 6)) {
                    assertThrows(IllegalStateException.class, () -> DropoutMask.forRows(seeds, 0, 1, 6));
                    float[] a = DropoutMask.apply(manager.ones(new Shape(rows, 40001)), p).toFloatArray();
                    System.arraycopy(a, 0, firstRows, bounds[g] * 40001, a.length);
                    // the same rows flattened batch-major: the same elements
                    float[] b = DropoutMask.apply(manager.ones(new Shape(rows * 7L)), p).toFloatArray();
                    System.arraycopy(b, 0, secondRows, bounds[g] * 7, b.length);
                }
            }
            assertEquals(2, seeds.count(), "one seed per mask, shared by the groups");
            assertArrayEquals(first, firstRows, "the first mask, group by group");
            assertArrayEquals(second, secondRows, "the second mask, group by group");
            assertEquals(next, manager.randomUniform(0, 1, new Shape(1)).getFloat(), "the generator after both");
            try (DropoutMask.Window window = DropoutMask.forRows(seeds, 0, 4, 6)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> DropoutMask.apply(manager.ones(new Shape(3, 2)), p));
                assertTrue(e.getMessage().contains("rows on the first axis"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> DropoutMask.forRows(seeds, 5, 2, 6));
        }
    }
}

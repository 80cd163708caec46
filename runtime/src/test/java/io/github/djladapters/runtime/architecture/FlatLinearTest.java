package io.github.djladapters.runtime.architecture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.savedmodules.BlockCopies;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlatLinearTest {

    private static final int IN = 5;
    private static final int OUT = 3;

    /** {@code x W^T + b} written out in doubles over the flattened rows. */
    private static float[] expected(float[] x, float[] w, float[] b) {
        int rows = x.length / IN;
        float[] y = new float[rows * OUT];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < OUT; o++) {
                double sum = b == null ? 0 : b[o];
                for (int i = 0; i < IN; i++) {
                    sum += (double) x[r * IN + i] * w[o * IN + i];
                }
                y[r * OUT + o] = (float) sum;
            }
        }
        return y;
    }

    private static float[] random(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static Shape inputShape(int dims) {
        return switch (dims) {
            case 2 -> new Shape(6, IN);
            case 3 -> new Shape(2, 3, IN);
            default -> new Shape(2, 1, 3, IN);
        };
    }

    @ParameterizedTest
    @CsvSource({"2, true", "3, true", "4, true", "2, false", "3, false", "4, false"})
    void everyFormMatchesTheProductWrittenOut(int dims, boolean withBias) {
        Random random = new Random(dims * 10L + (withBias ? 1 : 0));
        Shape shape = inputShape(dims);
        float[] x = random(random, (int) shape.size());
        float[] w = random(random, OUT * IN);
        float[] b = withBias ? random(random, OUT) : null;
        Shape outShape = shape.slice(0, dims - 1).add(OUT);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray xs = manager.create(x, shape);
            NDArray ws = manager.create(w, new Shape(OUT, IN));
            NDArray bs = b == null ? null : manager.create(b);
            NDArray wInOut = ws.transpose().duplicate(); // stored [in, out], as GPT-2's Conv1D
            for (NDArray y : List.of(FlatLinear.project(xs, ws, bs), FlatLinear.projectFlat(xs, ws, bs),
                    FlatLinear.projectInOut(xs, wInOut, bs), block(manager, withBias, ws, bs, xs))) {
                assertEquals(outShape, y.getShape());
                assertArrayEquals(expected(x, w, b), y.toFloatArray(), 1e-5f);
            }
        }
    }

    /** The block's forward on {@code x} with the given weights. */
    private static NDArray block(NDManager manager, boolean withBias, NDArray w, NDArray b, NDArray x) {
        FlatLinear linear = new FlatLinear(OUT, withBias);
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
        linear.weight().getArray().set(w.toFloatArray());
        if (withBias) {
            linear.getParameters().get("bias").getArray().set(b.toFloatArray());
        }
        return linear.forward(new ParameterStore(manager, false), new NDList(x), false).head();
    }

    @ParameterizedTest
    @CsvSource({"3, true", "4, true", "3, false"})
    void gradientsEqualDjlLinearsOwn(int dims, boolean withBias) {
        Random random = new Random(7 + dims);
        Shape shape = inputShape(dims);
        float[] x = random(random, (int) shape.size());
        float[] w = random(random, OUT * IN);
        float[] b = withBias ? random(random, OUT) : null;
        float[] seed = random(random, (int) (shape.size() / IN * OUT));
        BiFunction<NDArray[], NDManager, NDArray> djl = (a, m) -> Linear.linear(a[0], a[1], a[2]).head();
        BiFunction<NDArray[], NDManager, NDArray> flat = (a, m) -> FlatLinear.projectFlat(a[0], a[1], a[2]);
        BiFunction<NDArray[], NDManager, NDArray> chosen = (a, m) -> FlatLinear.project(a[0], a[1], a[2]);
        float[][] reference = gradients(djl, shape, x, w, b, seed);
        for (BiFunction<NDArray[], NDManager, NDArray> form : List.of(flat, chosen)) {
            float[][] got = gradients(form, shape, x, w, b, seed);
            for (int i = 0; i < reference.length; i++) {
                assertArrayEquals(reference[i], got[i], 1e-5f, "gradient " + i);
            }
        }
    }

    /** Gradients of {@code sum(seed * y)} with respect to x, w and (when given) b. */
    private static float[][] gradients(BiFunction<NDArray[], NDManager, NDArray> form, Shape shape, float[] x,
            float[] w, float[] b, float[] seed) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray xs = manager.create(x, shape);
            NDArray ws = manager.create(w, new Shape(OUT, IN));
            NDArray bs = b == null ? null : manager.create(b);
            for (NDArray a : b == null ? List.of(xs, ws) : List.of(xs, ws, bs)) {
                a.setRequiresGradient(true);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = form.apply(new NDArray[] {xs, ws, bs}, manager);
                collector.backward(y.mul(ArrayValues.owned(manager.create(seed, y.getShape()))).sum());
            }
            return b == null ? new float[][] {xs.getGradient().toFloatArray(), ws.getGradient().toFloatArray()}
                    : new float[][] {xs.getGradient().toFloatArray(), ws.getGradient().toFloatArray(),
                            bs.getGradient().toFloatArray()};
        }
    }

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void keepsDjlLinearsParameterNamesAndCopiesAsItself(boolean withBias) {
        try (NDManager manager = NDManager.newBaseManager()) {
            FlatLinear flat = new FlatLinear(OUT, withBias);
            Linear djl = Linear.builder().setUnits(OUT).optBias(withBias).build();
            flat.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
            djl.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
            assertEquals(ModulePaths.parameters(djl).keySet(), ModulePaths.parameters(flat).keySet());
            assertEquals(djl.getParameters().keys(), flat.getParameters().keys());

            Block copy = BlockCopies.copy(flat, "classifier");
            assertInstanceOf(FlatLinear.class, copy);
            assertNotSame(flat.weight().getArray(), ((FlatLinear) copy).weight().getArray());
            NDArray x = manager.randomNormal(new Shape(2, 3, IN));
            ParameterStore store = new ParameterStore(manager, false);
            assertArrayEquals(flat.forward(store, new NDList(x), false).head().toFloatArray(),
                    copy.forward(store, new NDList(x), false).head().toFloatArray(), 0f);
        }
    }
}

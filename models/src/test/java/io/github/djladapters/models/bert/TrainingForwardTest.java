package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import org.junit.jupiter.api.Test;

/**
 * A training forward keeps what its backward pass reads alive until the caller's manager closes:
 * DJL backs scalar operands with Java buffers, which a collected garbage would free under autograd.
 */
class TrainingForwardTest {

    @Test
    void gradientsAreTheSameWhenGarbageIsCollectedBetweenForwardAndBackward() {
        float[] quiet = gradient(false);
        float[] collected = gradient(true);
        for (float g : collected) {
            assertTrue(Float.isFinite(g), "finite gradient");
        }
        assertArrayEquals(quiet, collected);
    }

    private static float[] gradient(boolean collectGarbage) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = new BertModel(TinyCheckpoints.tinyBert());
            model.setInitializer(new NormalInitializer(0.2f), p -> true);
            model.initialize(manager);
            Parameter query = model.getParameters().stream().filter(p -> p.getKey().contains("query"))
                    .findFirst().orElseThrow().getValue();
            try (NDManager step = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray ids = step.create(new long[][] {{1, 5, 9, 3, 2}, {1, 4, 4, 2, 0}});
                NDArray mask = step.create(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}});
                NDArray out = model.forward(new ParameterStore(step, false), new NDList(ids, mask), true).head();
                NDArray loss = out.square().mean();
                if (collectGarbage) {
                    for (int i = 0; i < 5; i++) {
                        System.gc();
                        step.zeros(new Shape(4096, 64), DataType.FLOAT32).addi(1e30f); // reuse freed memory
                    }
                }
                collector.backward(loss);
                return query.getArray().getGradient().toFloatArray();
            }
        }
    }
}

package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * AdamW steps of a model with trainable adapters, run once with training layer scopes (each layer's
 * intermediates freed at its end) and once keeping every intermediate until {@code backward}
 * ({@link ForwardScope#keepingLayerIntermediates}), with garbage collected and freed memory reused between
 * forward and backward: the losses and every gradient must be bitwise equal.
 */
public final class LayerScopeSteps {

    private static final int STEPS = 3;

    private LayerScopeSteps() {}

    /**
     * Asserts that both policies give the same losses and gradients, finite and not all zero.
     *
     * @param model builds, initialises (with a fixed seed) and prepares the model for training in a manager
     * @param inputs the forward's inputs, made in the step's manager
     */
    public static void assertBothPoliciesAgree(Function<NDManager, Block> model, Function<NDManager, NDList> inputs) {
        int[] leftAfterForward = new int[2];
        List<float[]> scoped = steps(model, inputs, false, leftAfterForward);
        List<float[]> kept = steps(model, inputs, true, leftAfterForward);
        assertTrue(leftAfterForward[0] < leftAfterForward[1], "layer scopes left fewer arrays until backward: "
                + leftAfterForward[0] + " against " + leftAfterForward[1]);
        assertEquals(kept.size(), scoped.size());
        boolean someNonZero = false;
        for (int i = 0; i < kept.size(); i++) {
            for (float g : scoped.get(i)) {
                assertTrue(Float.isFinite(g), "finite loss and gradients");
                someNonZero |= g != 0;
            }
            assertArrayEquals(kept.get(i), scoped.get(i), "loss or gradient " + i);
        }
        assertTrue(someNonZero, "the steps computed non-zero gradients");
    }

    /**
     * Asserts that training steps through layer scopes leave the model's manager with as many arrays
     * as after the first step.
     *
     * @param model builds, initialises and prepares the model for training in a manager
     * @param inputs the forward's inputs, made in the step's manager
     */
    public static void assertArrayCountsStayFlat(Function<NDManager, Block> model,
            Function<NDManager, NDList> inputs) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block trained = model.apply(manager);
            List<Parameter> trainable = trainable(trained);
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 0.05f);
            ArrayCounts.assertFlatOver(4, () -> step(trained, inputs, manager, trainable, adamW, null),
                    manager);
        }
    }

    /**
     * Per step: the loss, then every trainable parameter's gradient; the open arrays of the first step's
     * manager between forward and backward go into {@code leftAfterForward[keepIntermediates ? 1 : 0]}.
     */
    private static List<float[]> steps(Function<NDManager, Block> model, Function<NDManager, NDList> inputs,
            boolean keepIntermediates, int[] leftAfterForward) {
        List<float[]> seen = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block trained = model.apply(manager);
            List<Parameter> trainable = trainable(trained);
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 0.05f);
            for (int step = 0; step < STEPS; step++) {
                Engine.getInstance().setRandomSeed(100 + step); // the same dropout masks under both policies
                int left;
                if (keepIntermediates) {
                    try (ForwardScope.Policy keep = ForwardScope.keepingLayerIntermediates()) {
                        left = step(trained, inputs, manager, trainable, adamW, seen);
                    }
                } else {
                    left = step(trained, inputs, manager, trainable, adamW, seen);
                }
                if (step == 0) {
                    leftAfterForward[keepIntermediates ? 1 : 0] = left;
                }
            }
        }
        return seen;
    }

    /**
     * One step, adding its loss and gradients to {@code seen} unless it is null; returns how many arrays the
     * step's manager held between forward and backward.
     */
    private static int step(Block model, Function<NDManager, NDList> inputs, NDManager manager,
            List<Parameter> trainable, FusedAdam adamW, List<float[]> seen) {
        try (NDManager scope = manager.newSubManager()) {
            int left;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(scope, false), inputs.apply(scope), true).head();
                NDArray loss = out.square().mean();
                left = scope.getManagedArrays().size();
                reuseFreedMemory(scope);
                collector.backward(loss);
                if (seen != null) {
                    seen.add(loss.toFloatArray());
                }
            }
            if (seen != null) { // each getGradient() adds a handle to the parameter's manager
                for (Parameter p : trainable) {
                    seen.add(p.getArray().getGradient().toFloatArray());
                }
            }
            adamW.step();
            return left;
        }
    }

    private static List<Parameter> trainable(Block model) {
        return model.getParameters().values().stream().filter(Parameter::requiresGradient).toList();
    }

    /** Collects garbage and overwrites freed native memory, so that a freed array autograd still reads shows. */
    private static void reuseFreedMemory(NDManager scope) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            scope.zeros(new Shape(4096, 64), DataType.FLOAT32).addi(1e30f);
        }
    }
}

package io.github.djladapters.models.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Several steps of {@link FusedAdam}, with PyTorch's fused kernel and with DJL ops, give the weights of DJL's own Adam and AdamW and of the update
 * rule written out in doubles, and leave the gradients at zero.
 */
class FusedAdamTest {

    private static final Shape[] SHAPES = {new Shape(4, 3), new Shape(3), new Shape(2, 2, 2)};
    private static final int STEPS = 6;

    @Test
    void adamWMatchesDjlAndTheFormula() {
        compare(true, 0.01f, 3e-2f, true);
    }

    @Test
    void adamWithL2DecayMatchesDjlAndTheFormula() {
        compare(false, 0.1f, 1e-2f, true);
    }

    @Test
    void adamWInDjlOpsMatchesDjlAndTheFormula() {
        compare(true, 0.01f, 3e-2f, false);
    }

    @Test
    void adamWithL2DecayInDjlOpsMatchesDjlAndTheFormula() {
        compare(false, 0.1f, 1e-2f, false);
    }

    /** {@code kernel}: PyTorch's fused kernel, else the in-place DJL ops. */
    private static void compare(boolean decoupled, float decay, float lr, boolean kernel) {
        String previous = System.setProperty(FusedAdam.KERNEL_PROPERTY, Boolean.toString(kernel));
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Parameter> fused = parameters(manager);
            List<Parameter> djl = parameters(manager);
            double[][] expected = new double[SHAPES.length][];
            double[][] means = new double[SHAPES.length][];
            double[][] variances = new double[SHAPES.length][];
            for (int i = 0; i < SHAPES.length; i++) {
                expected[i] = toDoubles(fused.get(i).getArray().toFloatArray());
                means[i] = new double[expected[i].length];
                variances[i] = new double[expected[i].length];
            }
            Optimizer reference = decoupled
                    ? Optimizer.adamW().optLearningRateTracker(Tracker.fixed(lr)).optWeightDecays(decay).build()
                    : Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).optWeightDecays(decay).build();
            try (FusedAdam adam = new FusedAdam(fused, manager, lr, 0.9f, 0.999f, 1e-8f, decay, decoupled)) {
                assertEquals(kernel, adam.fused(), "the update path");
                for (int step = 1; step <= STEPS; step++) {
                    List<float[]> gradients = backward(fused, manager, step);
                    adam.step();
                    backward(djl, manager, step);
                    for (Parameter p : djl) {
                        reference.update(p.getId(), p.getArray(), p.getArray().getGradient());
                    }
                    formula(expected, means, variances, gradients, step, lr, decay, decoupled);
                    for (int i = 0; i < SHAPES.length; i++) {
                        float[] ours = fused.get(i).getArray().toFloatArray();
                        float[] theirs = djl.get(i).getArray().toFloatArray();
                        for (int k = 0; k < ours.length; k++) {
                            assertEquals(expected[i][k], ours[k], 1e-6, "formula, step " + step + " parameter " + i);
                            assertEquals(theirs[k], ours[k], 1e-6, "DJL's optimizer, step " + step + " parameter " + i);
                        }
                        for (float g : fused.get(i).getArray().getGradient().toFloatArray()) {
                            assertEquals(0f, g, "gradient after the step");
                        }
                    }
                }
                assertEquals(STEPS, adam.steps());
            }
        } finally {
            if (previous == null) {
                System.clearProperty(FusedAdam.KERNEL_PROPERTY);
            } else {
                System.setProperty(FusedAdam.KERNEL_PROPERTY, previous);
            }
        }
    }

    @Test
    void aParameterWithoutGradientIsNamed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter frozen = Parameter.builder().setName("frozen_weight").setType(Parameter.Type.WEIGHT).build();
            frozen.setArray(manager.ones(new Shape(2)));
            try (FusedAdam adam = FusedAdam.adamW(List.of(frozen), manager, 1e-3f)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, adam::step);
                assertTrue(e.getMessage().contains("frozen_weight"), e.getMessage());
            }
        }
    }

    @Test
    void badSettingsAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(IllegalArgumentException.class,
                    () -> new FusedAdam(List.of(), manager, Float.NaN, 0.9f, 0.999f, 1e-8f, 0f, true));
        }
    }

    /** Seeded parameters of the three shapes, with gradients attached. */
    private static List<Parameter> parameters(NDManager manager) {
        Random random = new Random(7);
        List<Parameter> out = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            float[] values = new float[(int) SHAPES[i].size()];
            for (int k = 0; k < values.length; k++) {
                values[k] = (float) random.nextGaussian();
            }
            Parameter p = Parameter.builder().setName("p" + i).setType(Parameter.Type.WEIGHT).build();
            NDArray array = manager.create(values, SHAPES[i]);
            array.setRequiresGradient(true);
            p.setArray(array);
            out.add(p);
        }
        return out;
    }

    /** loss = sum(w^3 * x) with x fixed per step, so gradients change with the weights; returns them. */
    private static List<float[]> backward(List<Parameter> parameters, NDManager manager, int step) {
        List<float[]> gradients = new ArrayList<>();
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            Random random = new Random(step);
            for (Parameter p : parameters) {
                NDArray w = p.getArray();
                float[] x = new float[(int) w.size()];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (float) random.nextGaussian();
                }
                NDArray term = w.mul(w).mul(w).mul(scope.create(x, w.getShape())).sum();
                term.attach(scope);
                loss = loss == null ? term : loss.add(term);
            }
            collector.backward(loss);
        }
        for (Parameter p : parameters) {
            gradients.add(p.getArray().getGradient().toFloatArray());
        }
        return gradients;
    }

    /** The update of DJL's PyTorch engine (eps added to sqrt(v), bias corrections in the step size), in doubles. */
    private static void formula(double[][] weights, double[][] means, double[][] variances, List<float[]> gradients,
            int t, float lr, float decay, boolean decoupled) {
        double stepSize = lr * Math.sqrt(1 - Math.pow(0.999f, t)) / (1 - Math.pow(0.9f, t));
        for (int i = 0; i < weights.length; i++) {
            for (int k = 0; k < weights[i].length; k++) {
                double g = gradients.get(i)[k];
                if (decoupled) {
                    weights[i][k] -= weights[i][k] * lr * decay;
                } else {
                    g += decay * weights[i][k];
                }
                means[i][k] = 0.9f * means[i][k] + (1 - 0.9f) * g;
                variances[i][k] = 0.999f * variances[i][k] + (1 - 0.999f) * g * g;
                weights[i][k] -= means[i][k] * stepSize / (Math.sqrt(variances[i][k]) + 1e-8f);
            }
        }
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int k = 0; k < values.length; k++) {
            out[k] = values[k];
        }
        return out;
    }
}

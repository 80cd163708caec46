package io.github.djladapters.models.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.parallel.RowGroups;
import io.github.djladapters.models.parallel.PaddedBatch;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A training step split into row groups on a {@link TorchThreadTeam} leaves the loss, every trainable
 * parameter's gradient and, after several AdamW steps, every parameter of a one-group step over the whole
 * batch (through DJL's gradient collector) on a tiny BERT, with LoRA and with full fine-tuning, dropout on
 * and off: with dropout on, the groups draw the same masks (the results would differ at the 10% level if
 * not), and libtorch's generator ends where the one-group step leaves it. A failure in a group's forward
 * leaves the gradients as they were; one in a group's backward pass sets them all to zero, and the next
 * step starts clean.
 */
class RowSplitStepTest {

    private static final int ROWS = PaddedBatch.ROWS;
    private static final long SEED = 1234;

    @ParameterizedTest(name = "lora={0} dropout={1} groups={2}")
    @CsvSource({"true, 0.1, 2", "true, 0.0, 2", "false, 0.1, 2", "false, 0.0, 2", "true, 0.1, 3", "false, 0.1, 4"})
    void lossAndGradientsMatchOneGroup(boolean lora, float dropout, int groups) {
        try (NDManager manager = NDManager.newBaseManager();
                TorchThreadTeam team = TorchThreadTeam.create(groups)) {
            Model model = model(manager, lora, dropout);
            NDList batch = batch(manager);
            Engine.getInstance().setRandomSeed((int) SEED);
            float oneGroupLoss = oneGroupBackward(model, manager, batch);
            float oneGroupNext = manager.randomUniform(0, 1, new Shape(1)).getFloat();
            List<float[]> oneGroup = gradientsThenZero(model.trainable);

            Engine.getInstance().setRandomSeed((int) SEED);
            float splitLoss;
            try (NDManager step = manager.newSubManager()) {
                splitLoss = new RowSplitStep(team, model.trainable).step(step, batch, model::loss);
            }
            float splitNext = manager.randomUniform(0, 1, new Shape(1)).getFloat();
            List<float[]> split = gradientsThenZero(model.trainable);

            assertEquals(oneGroupLoss, splitLoss, 1e-5 * Math.abs(oneGroupLoss), "the batch's loss");
            assertEquals(oneGroupNext, splitNext, "libtorch's generator after the step (as many seeds drawn)");
            assertClose(oneGroup, split, model.trainable, "gradient");
            assertTrue(oneGroup.stream().anyMatch(g -> maxAbs(g) > 0), "some gradient is non-zero");
        }
    }

    @ParameterizedTest(name = "lora={0}")
    @CsvSource({"true", "false"})
    void adamWStepsMatchOneGroup(boolean lora) {
        int steps = 3;
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            Model model = model(manager, lora, 0.1f);
            NDList batch = batch(manager);
            List<float[]> initial = values(model.all);

            Engine.getInstance().setRandomSeed((int) SEED);
            try (FusedAdam adam = FusedAdam.adamW(model.trainable, manager, 1e-2f)) {
                for (int i = 0; i < steps; i++) {
                    oneGroupBackward(model, manager, batch);
                    adam.step();
                }
            }
            List<float[]> oneGroup = values(model.all);

            restore(model.all, initial);
            Engine.getInstance().setRandomSeed((int) SEED);
            RowSplitStep split = new RowSplitStep(team, model.trainable);
            try (FusedAdam adam = FusedAdam.adamW(model.trainable, manager, 1e-2f)) {
                for (int i = 0; i < steps; i++) {
                    try (NDManager step = manager.newSubManager()) {
                        split.step(step, batch, model::loss);
                    }
                    adam.step();
                }
            }
            List<float[]> splitValues = values(model.all);
            assertClose(oneGroup, splitValues, model.all, "parameter after " + steps + " steps");
            boolean moved = false;
            for (int i = 0; i < initial.size(); i++) {
                moved |= !java.util.Arrays.equals(initial.get(i), oneGroup.get(i));
            }
            assertTrue(moved, "the steps changed the parameters");
        }
    }

    @Test
    void aFailingGroupLeavesTheGradientsAsTheyWere() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            Model model = model(manager, true, 0.1f);
            NDList batch = batch(manager);
            oneGroupBackward(model, manager, batch); // gradients accumulated by an earlier call
            List<float[]> before = values(gradients(model.trainable));
            RowSplitStep split = new RowSplitStep(team, model.trainable);
            IllegalStateException thrown = new IllegalStateException("no loss for these rows");
            TorchThreadTeam.TeamTaskException failure;
            try (NDManager step = manager.newSubManager()) {
                failure = assertThrows(TorchThreadTeam.TeamTaskException.class, () -> split.step(step, batch,
                        (scope, rows) -> {
                            NDArray loss = model.loss(scope, rows);
                            if (rows.head().getShape().get(0) < 4) { // the second group (rows 4..6)
                                throw thrown;
                            }
                            return loss;
                        }));
            }
            assertEquals(thrown, failure.getCause());
            List<float[]> after = values(gradients(model.trainable));
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "gradient " + i + " unchanged");
            }
            // a loss that is not a scalar is refused before any backward pass
            try (NDManager step = manager.newSubManager()) {
                TorchThreadTeam.TeamTaskException notScalar = assertThrows(TorchThreadTeam.TeamTaskException.class,
                        () -> split.step(step, batch, (scope, rows) -> model.output(scope, rows)));
                assertInstanceOf(IllegalStateException.class, notScalar.getCause());
                assertTrue(notScalar.getCause().getMessage().contains("must be a scalar"), notScalar.getMessage());
            }
            after = values(gradients(model.trainable));
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), "gradient " + i + " unchanged");
            }
        }
    }

    @Test
    void aFailedBackwardZeroesEveryGradientAndTheNextStepIsClean() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            Model model = model(manager, true, 0.1f);
            NDList batch = batch(manager);
            Engine.getInstance().setRandomSeed((int) SEED);
            oneGroupBackward(model, manager, batch);
            List<float[]> oneGroup = gradientsThenZero(model.trainable);
            oneGroupBackward(model, manager, batch); // gradients accumulated by an earlier call
            assertTrue(values(gradients(model.trainable)).stream().anyMatch(g -> maxAbs(g) > 0));

            // row 5 (in the second group, rows 4..6) makes its group's loss modify in place a tensor that
            // exp saved for its backward: libtorch's version check fails that group's backward pass only
            float[] poison = new float[ROWS];
            poison[5] = 1;
            NDList poisoned = new NDList(batch.get(0), batch.get(1), batch.get(2), manager.create(poison));
            RowSplitStep split = new RowSplitStep(team, model.trainable);
            TorchThreadTeam.TeamTaskException failure;
            try (NDManager step = manager.newSubManager()) {
                failure = assertThrows(TorchThreadTeam.TeamTaskException.class, () -> split.step(step, poisoned,
                        (scope, rows) -> {
                            NDArray y = model.output(scope, rows.subNDList(0, 3)).exp();
                            if (rows.get(3).max().getFloat() > 0) {
                                y.addi(1);
                            }
                            return y.mean();
                        }));
            }
            assertTrue(failure.getMessage().startsWith("task 1 of 2 failed"), failure.getMessage());
            assertTrue(failure.getCause().getMessage().contains("modified by an inplace operation"),
                    failure.getCause().getMessage());
            assertEquals(0, failure.getSuppressed().length, "the first group's backward pass ran");
            for (int i = 0; i < model.trainable.size(); i++) {
                assertEquals(0, maxAbs(model.trainable.get(i).getArray().getGradient().toFloatArray()),
                        "gradient of " + pathOf(model.trainable.get(i)) + " set to zero");
            }

            Engine.getInstance().setRandomSeed((int) SEED);
            try (NDManager step = manager.newSubManager()) {
                split.step(step, batch, model::loss);
            }
            assertClose(oneGroup, values(gradients(model.trainable)), model.trainable, "gradient after the failed step");
        }
    }

    @Test
    void batchArraysMustShareTheirRows() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            RowSplitStep split = new RowSplitStep(team, List.of());
            NDList batch = new NDList(manager.zeros(new Shape(4, 3)), manager.zeros(new Shape(3)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> split.step(manager, batch, (scope, rows) -> rows.head().sum()));
            assertTrue(e.getMessage().contains("batch array 1 has shape (3)"), e.getMessage());
        }
    }

    @Test
    void groupBoundsAreEvenLargerFirst() {
        assertArrayEquals(new int[] {0, 4, 8}, RowGroups.bounds(8, 2));
        assertArrayEquals(new int[] {0, 3, 5, 7}, RowGroups.bounds(7, 3));
        assertArrayEquals(new int[] {0, 1, 2}, RowGroups.bounds(2, 4));
    }

    /** A tiny BERT, LoRA on query and value (trainable) or every parameter trainable. */
    private record Model(BertModel bert, List<Parameter> trainable, List<Parameter> all) {
        NDArray output(NDManager scope, NDList rows) {
            return bert.forward(new ParameterStore(scope, false), rows, true).head();
        }

        NDArray loss(NDManager scope, NDList rows) {
            return output(scope, rows).square().mean();
        }
    }

    private static Model model(NDManager manager, boolean lora, float dropout) {
        BertConfig config = new BertConfig("bert", 40, 16, 2, 2, 24, "gelu", dropout, dropout, 32, 2, 1e-12, 0, 2);
        Engine.getInstance().setRandomSeed(7);
        BertModel base = new BertModel(config, false);
        base.setInitializer(new NormalInitializer(0.3f), p -> true);
        base.initialize(manager);
        BertModel model;
        if (lora) {
            AdapterModel<BertModel> adapters = Adapters.init(base);
            adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(dropout)
                    .targetModules("query", "value").build());
            adapters.trainAdapter("lora");
            model = adapters.model();
        } else {
            // every weight but the attention keys' biases: their gradient is zero in exact arithmetic (a softmax does
            // not change when one constant is added to a row's scores), so what they get is rounding noise (1e-11
            // here), which Adam divides by its own square root into steps of lr / 1000 that no other order of
            // summation reproduces
            base.freezeParameters(false);
            base.getParameters().forEach(pair -> {
                if (pair.getKey().endsWith("key_bias")) {
                    pair.getValue().freeze(true);
                }
            });
            model = base;
        }
        model.getParameters().forEach(pair -> PATHS.put(pair.getValue().getId(), pair.getKey()));
        List<Parameter> all = List.copyOf(model.getParameters().values());
        List<Parameter> trainable = all.stream().filter(Parameter::requiresGradient).toList();
        Random random = new Random(3);
        for (Parameter p : trainable) { // LoRA's B starts at zero: give every trainable weight a gradient
            float[] values = p.getArray().toFloatArray();
            for (int i = 0; i < values.length; i++) {
                values[i] += (float) (0.2 * random.nextGaussian());
            }
            p.getArray().set(values);
        }
        return new Model(model, trainable, all);
    }

    private static NDList batch(NDManager manager) {
        return PaddedBatch.of(manager);
    }

    private static float oneGroupBackward(Model model, NDManager manager, NDList batch) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = model.loss(step, batch);
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    private static List<NDArray> gradients(List<Parameter> parameters) {
        return parameters.stream().map(p -> p.getArray().getGradient()).toList();
    }

    private static List<float[]> gradientsThenZero(List<Parameter> parameters) {
        List<float[]> values = values(gradients(parameters));
        for (Parameter p : parameters) {
            p.getArray().getGradient().set(new NDIndex(":"), 0);
        }
        return values;
    }

    private static List<float[]> values(List<?> arrays) {
        List<float[]> values = new ArrayList<>();
        for (Object a : arrays) {
            values.add((a instanceof Parameter p ? p.getArray() : (NDArray) a).toFloatArray());
        }
        return values;
    }

    private static void restore(List<Parameter> parameters, List<float[]> values) {
        for (int i = 0; i < parameters.size(); i++) {
            parameters.get(i).getArray().set(values.get(i));
        }
    }

    /** Every element within 1e-5 of the array's largest magnitude. */
    private static void assertClose(List<float[]> expected, List<float[]> actual, List<Parameter> names, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i);
            float[] a = actual.get(i);
            double scale = Math.max(maxAbs(e), 1e-12);
            for (int k = 0; k < e.length; k++) {
                assertEquals(e[k], a[k], 1e-5 * scale, what + " of " + names.get(i).getId() + " " + pathOf(names.get(i)) + " [" + k + "]");
            }
        }
    }

    private static final java.util.Map<String, String> PATHS = new java.util.HashMap<>();

    private static String pathOf(Parameter p) {
        return PATHS.getOrDefault(p.getId(), p.getName());
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}

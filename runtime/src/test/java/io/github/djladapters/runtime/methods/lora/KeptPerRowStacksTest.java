package io.github.djladapters.runtime.methods.lora;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static io.github.djladapters.runtime.methods.lora.MixedRows.IDS;
import static io.github.djladapters.runtime.methods.lora.MixedRows.RANDOM;
import static io.github.djladapters.runtime.methods.lora.MixedRows.ROW;
import static io.github.djladapters.runtime.methods.lora.MixedRows.ROWS;
import static io.github.djladapters.runtime.methods.lora.MixedRows.alone;
import static io.github.djladapters.runtime.methods.lora.MixedRows.assertRowsAlone;
import static io.github.djladapters.runtime.methods.lora.MixedRows.mixed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Mixed forwards keep each LoRA layer's stacked per-row weights for frozen adapters: the kept
 * stacks give each row exactly its adapter's output alone, and every change of the weights after
 * a kept forward (new tensors, delete and add again, a training step) shows in the next forward;
 * the kept arrays are freed when they go stale and do not pile up over forwards.
 */
class KeptPerRowStacksTest {


    @AfterEach
    void reuseAgain() {
        LoRALayer.reusePerRowStacks(true);
    }

    private static AdapterModel<TinyModel> twoFrozenAdapters(NDManager manager) {
        AdapterModel<TinyModel> peft = tiny(manager, false);
        peft.addAdapter("a", RANDOM);
        peft.addAdapter("b", RANDOM.toBuilder().r(3).build());
        peft.freezeAdapter("a", true);
        peft.freezeAdapter("b", true);
        return peft;
    }

    private static void randomTensors(AdapterModel<TinyModel> peft, String adapter, NDManager manager, long seed) {
        Random random = new Random(seed);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        peft.adapterTensors(adapter, manager).forEach((key, value) -> {
            float[] values = new float[(int) value.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            tensors.put(key, manager.create(values, value.getShape()));
        });
        peft.loadAdapterTensors(adapter, tensors);
    }

    /** What {@code Trainer.step} does: the optimizer's in-place update of every trainable parameter. */
    private static void step(AdapterModel<TinyModel> peft, Optimizer optimizer) {
        for (Pair<String, Parameter> entry : peft.model().getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.requiresGradient()) {
                optimizer.update(entry.getKey(), parameter.getArray(), parameter.getArray().getGradient());
            }
        }
    }

    @Test
    void keptStacksGiveEachRowItsAdapterAloneAndEqualStacksBuiltEveryForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            float[] first = mixed(peft, manager);
            float[] kept = mixed(peft, manager);
            LoRALayer.reusePerRowStacks(false);
            float[] rebuilt = mixed(peft, manager);
            assertEquals(0, maxDiff(first, kept), 0, "the second forward reads the kept stacks");
            assertEquals(0, maxDiff(rebuilt, kept), 1e-6, "stacks built for the forward");
            assertRowsAlone(peft, manager, kept, "kept stacks");
        }
    }

    @Test
    void newTensorsAfterAKeptForwardShowInTheNextForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            float[] before = mixed(peft, manager);
            randomTensors(peft, "a", manager, 7);
            float[] after = mixed(peft, manager);
            assertTrue(maxDiff(Arrays.copyOfRange(before, 0, ROW), Arrays.copyOfRange(after, 0, ROW)) > 1e-2,
                    "new tensors of 'a' change its row");
            assertRowsAlone(peft, manager, after, "after new tensors");
        }
    }

    @Test
    void deletingAndAddingUnderTheSameNameAfterAKeptForwardUsesTheNewWeights() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            float[] before = mixed(peft, manager);
            peft.deleteAdapter("a");
            peft.addAdapter("a", RANDOM.toBuilder().r(4).build());
            randomTensors(peft, "a", manager, 11);
            peft.freezeAdapter("a", true);
            float[] after = mixed(peft, manager);
            assertTrue(maxDiff(Arrays.copyOfRange(before, 0, ROW), Arrays.copyOfRange(after, 0, ROW)) > 1e-2,
                    "the new 'a' gives its row another output");
            assertRowsAlone(peft, manager, after, "after delete and add");
        }
    }

    @Test
    void aTrainingStepAfterAKeptForwardShowsOnceFrozenAgain() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            float[] before = mixed(peft, manager);
            peft.trainAdapter("a"); // unfreezes a, freezes the rest
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.5f)).build();
            try (NDManager scope = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = peft.model().forward(new ParameterStore(scope, false),
                            new NDList(scope.create(IDS)), true).head();
                    collector.backward(out.square().mean());
                }
                step(peft, sgd);
            }
            float[] trainable = mixed(peft, manager); // 'a' takes gradients: built for the forward
            assertRowsAlone(peft, manager, trainable, "while trainable");
            peft.freezeAdapter("a", true);
            float[] after = mixed(peft, manager);
            assertTrue(maxDiff(Arrays.copyOfRange(before, 0, ROW), Arrays.copyOfRange(after, 0, ROW)) > 1e-4,
                    "the step changed the row of 'a'");
            assertEquals(0, maxDiff(trainable, after), 1e-6, "frozen again: the stepped weights, kept");
            assertRowsAlone(peft, manager, after, "frozen again after a step");
            for (Parameter parameter : peft.model().getParameters().values()) {
                if (parameter.getArray().hasGradient()) {
                    parameter.getArray().getGradient().close();
                }
            }
        }
    }

    @Test
    void aTrainingStepWithoutAMixedForwardBetweenIsNotMissed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            mixed(peft, manager);
            peft.trainAdapter("a");
            try (NDManager scope = manager.newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = peft.model().forward(new ParameterStore(scope, false),
                            new NDList(scope.create(IDS)), true).head();
                    collector.backward(out.square().mean());
                }
                step(peft, Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.5f)).build());
            }
            peft.freezeAdapter("a", true);
            assertRowsAlone(peft, manager, mixed(peft, manager), "frozen right after the step");
            for (Parameter parameter : peft.model().getParameters().values()) {
                if (parameter.getArray().hasGradient()) {
                    parameter.getArray().getGradient().close();
                }
            }
        }
    }

    @Test
    void keptArraysStayFlatOverForwardsAndAreFreedWhenTheAdaptersChange() {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            int baseOnly = manager.getManagedArrays().size();
            peft.addAdapter("a", RANDOM);
            peft.addAdapter("b", RANDOM.toBuilder().r(3).build());
            peft.freezeAdapter("a", true);
            peft.freezeAdapter("b", true);
            int withoutStacks = manager.getManagedArrays().size();
            mixed(peft, caller);
            int withStacks = manager.getManagedArrays().size();
            assertTrue(withStacks > withoutStacks, "the first mixed forward keeps stacks in the model's manager");
            int callerArrays = caller.getManagedArrays().size();
            for (int i = 0; i < 20; i++) {
                mixed(peft, caller);
            }
            assertEquals(withStacks, manager.getManagedArrays().size(), "model arrays after 20 more mixed forwards");
            assertEquals(callerArrays, caller.getManagedArrays().size(), "caller arrays after 20 more mixed forwards");
            randomTensors(peft, "b", caller, 3);
            assertEquals(withoutStacks, manager.getManagedArrays().size(), "new tensors free the kept stacks (with stacks: " + withStacks + ")");
            mixed(peft, caller);
            assertEquals(withStacks, manager.getManagedArrays().size(), "built again once");
            peft.deleteAdapter("b");
            peft.deleteAdapter("a");
            assertEquals(baseOnly, manager.getManagedArrays().size(),
                    "deleting both adapters frees their weights and the kept stacks");
        }
    }
    /** What the layers say the kept stacks will take is what the built stacks take; counts follow the adapters named. */
    @Test
    void keptStackBytesAreWhatTheBuiltStacksHold() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = twoFrozenAdapters(manager);
            List<LoRALayer> layers = peft.adapterLayers().stream().filter(LoRALayer.class::isInstance)
                    .map(LoRALayer.class::cast).toList();
            assertTrue(!layers.isEmpty());
            long predicted = layers.stream().mapToLong(l -> l.keptRowStackBytes(List.of("a", "b"))).sum();
            assertEquals(0, layers.stream().mapToLong(LoRALayer::builtRowStackBytes).sum(), "nothing kept before a mixed forward");
            mixed(peft, manager);
            long built = layers.stream().mapToLong(LoRALayer::builtRowStackBytes).sum();
            assertTrue(built > 0);
            assertEquals(built, predicted);
            // a alone (rank 2): 2 slots of rank 2, against 3 slots of rank 3 for a and b
            long onlyA = layers.stream().mapToLong(l -> l.keptRowStackBytes(List.of("a"))).sum();
            assertEquals(built * 4 / 9, onlyA);
            assertEquals(0, layers.stream().mapToLong(l -> l.keptRowStackBytes(List.of("none"))).sum());
            LoRALayer.reusePerRowStacks(false);
            assertEquals(0, layers.stream().mapToLong(l -> l.keptRowStackBytes(List.of("a", "b"))).sum(),
                    "nothing is kept when stacks are built per forward");
        }
    }
}

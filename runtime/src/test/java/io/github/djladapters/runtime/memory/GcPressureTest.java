package io.github.djladapters.runtime.memory;

import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runtime's flows give the same bits with a garbage collector running all the time as without:
 * routed training whose backward runs after the routing scope closed (autograd keeps views of the
 * row masks), training with DoRA and IA3 on several adapters, merge and unmerge, save and load.
 */
class GcPressureTest {

    private static final int REPEATS = 4;
    private static final long[][] IDS = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}};
    private static final LoRAConfig LORA = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE)
            .build();

    @Test
    void routedTrainingWithBackwardAfterTheScopeCloses() {
        assertSameUnderPressure(GcPressureTest::routedGradients);
    }

    @Test
    void trainingMergeUnmergeSaveAndLoad() {
        assertSameUnderPressure(GcPressureTest::fullFlow);
    }

    private static void assertSameUnderPressure(java.util.function.Supplier<List<float[]>> flow) {
        List<float[]> calm = flow.get();
        for (int i = 0; i < REPEATS; i++) {
            List<float[]> pressed = GcPressure.during(flow);
            assertEquals(calm.size(), pressed.size());
            for (int j = 0; j < calm.size(); j++) {
                assertArrayEquals(calm.get(j), pressed.get(j), "result " + j + " under GC pressure, repeat " + i);
            }
        }
    }

    /** Gradients of two adapters trained per row, the backward run after the routing scope closed. */
    private static List<float[]> routedGradients() {
        Engine.getInstance().setRandomSeed(42);
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", LORA);
            peft.addAdapter("b", LORA.toBuilder().r(3).build());
            peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).attnMatrices("k").outputLora(false).build());
            peft.model().freezeParameters(true);
            List<Parameter> trained = new ArrayList<>();
            for (String name : List.of("a", "b", "i")) {
                peft.adapterLayers().forEach(layer -> trained.addAll(layer.parameters(name)));
            }
            trained.forEach(p -> p.freeze(false));
            List<float[]> out = new ArrayList<>();
            for (int step = 0; step < 3; step++) {
                try (NDManager scope = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray output;
                    try (AdapterModel.RowAdapters rows = peft.routeRows(List.of("a", "i", "b"), scope)) {
                        output = peft.model().forward(new ParameterStore(scope, false),
                                new NDList(scope.create(IDS)), true).head();
                    }
                    garbage(scope);
                    collector.backward(output.square().mean());
                    out.add(output.toFloatArray());
                }
                for (Parameter p : trained) {
                    NDArray gradient = p.getArray().getGradient();
                    out.add(gradient.toFloatArray());
                    gradient.subi(gradient);
                }
            }
            return out;
        }
    }

    /** One training step of a DoRA, then merge, unmerge, save, load into a fresh model, forward. */
    private static List<float[]> fullFlow() {
        Engine.getInstance().setRandomSeed(42);
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = Files.createTempDirectory("gc-pressure");
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("d", LORA.toBuilder().useDora(true).build());
            peft.trainAdapter("d");
            List<float[]> out = new ArrayList<>();
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray output = peft.model().forward(new ParameterStore(scope, false), new NDList(scope.create(IDS)),
                        true).head();
                garbage(scope);
                collector.backward(output.square().mean());
            }
            for (Parameter p : peft.adapterLayers().get(0).parameters("d")) {
                NDArray gradient = p.getArray().getGradient();
                out.add(gradient.toFloatArray());
                gradient.subi(gradient);
            }
            out.add(forward(peft, manager));
            peft.mergeAdapter("d");
            out.add(forward(peft, manager));
            peft.unmergeAdapter("d");
            out.add(forward(peft, manager));
            peft.saveAdapterFolder("d", dir);
            AdapterModel<TinyModel> fresh = tiny(manager, false);
            fresh.loadAdapter(dir, "d");
            fresh.setActiveAdapters("d");
            out.add(forward(fresh, manager));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] forward(AdapterModel<TinyModel> peft, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(IDS))).head().toFloatArray();
        }
    }

    /** Allocates and drops arrays over Java buffers, so freed buffer memory is reused. */
    private static void garbage(NDManager manager) {
        for (int i = 0; i < 20; i++) {
            try (NDManager temp = manager.newSubManager()) {
                float[] nan = new float[3 + i];
                java.util.Arrays.fill(nan, Float.NaN);
                temp.create(nan);
            }
        }
        System.gc();
    }
}

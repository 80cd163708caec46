package io.github.djladapters.runtime.memory;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.composition.Average;
import io.github.djladapters.runtime.composition.BatchSplit;
import io.github.djladapters.runtime.composition.Parallel;
import io.github.djladapters.runtime.composition.Split;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every forward path releases what it allocates: after many calls, each with its input in a
 * sub-manager of the caller's manager that is closed after the call, the model's manager and the
 * caller's manager hold exactly as many arrays as before the first call.
 */
class ForwardReleasesArraysTest {

    private static final int CALLS = 25;
    private static final LoRAConfig LORA = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE)
            .build();
    /** One short row: fewer rows than input features, so LoRA runs on the activations. */
    private static final long[][] SHORT = {{1, 2}};

    @Test
    void singleAdapterOnBothForwardOrders() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA);
            peft.setActiveAdapters("a");
        }, (peft, scope) -> {
            peft.forward(new NDList(scope.create(IDS)));
            peft.forward(new NDList(scope.create(SHORT)));
        });
    }

    @Test
    void severalActiveAdapters() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA);
            peft.addAdapter("b", LORA.toBuilder().r(3).intermediateLora(true).build());
            peft.setActiveAdapters("a", "b");
        }, (peft, scope) -> {
            peft.forward(new NDList(scope.create(IDS)));
            peft.forward(new NDList(scope.create(SHORT)));
        });
    }

    @Test
    void perRowMixedBatch() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA);
            peft.addAdapter("b", LORA.toBuilder().r(3).build());
            peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).attnMatrices("k").build());
        }, (peft, scope) -> peft.forward(new NDList(scope.create(IDS)), List.of("a", "i", "b")));
    }

    @Test
    void compositionBlocks() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA);
            peft.addAdapter("b", LORA.toBuilder().r(3).build());
        }, (peft, scope) -> {
            peft.setActiveAdapters(Parallel.of("a", "b"));
            peft.forward(new NDList(scope.create(IDS)));
            peft.forwardBranches(new NDList(scope.create(IDS)));
            peft.setActiveAdapters(BatchSplit.of(List.of(1, 2), "a", "b"));
            peft.forward(new NDList(scope.create(IDS)));
            peft.setActiveAdapters(Average.of(List.of(0.25, 0.75), "a", "b"));
            peft.forward(new NDList(scope.create(IDS)));
            peft.setActiveAdapters(Split.of(2, "a", "b"));
            peft.forward(new NDList(scope.create(IDS)));
        });
    }

    @Test
    void mergedAdapter() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA);
            peft.setActiveAdapters("a");
            peft.mergeAdapter("a");
        }, (peft, scope) -> peft.forward(new NDList(scope.create(IDS))));
    }

    @Test
    void dora() {
        assertFlat(peft -> {
            peft.addAdapter("d", LORA.toBuilder().useDora(true).build());
            peft.setActiveAdapters("d");
        }, (peft, scope) -> {
            peft.forward(new NDList(scope.create(IDS)));
            peft.forward(new NDList(scope.create(IDS)), List.of("d", "", "d"));
        });
    }

    @Test
    void ia3() {
        assertFlat(peft -> {
            peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).build());
            peft.setActiveAdapters("i");
        }, (peft, scope) -> {
            peft.forward(new NDList(scope.create(IDS)));
            peft.forward(new NDList(scope.create(SHORT)));
        });
    }

    @Test
    void trainingForwardAndBackward() {
        assertFlat(peft -> {
            peft.addAdapter("t", LORA.toBuilder().useDora(true).build());
            peft.trainAdapter("t");
        }, (peft, scope) -> {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = peft.model().forward(new ParameterStore(scope, false), new NDList(scope.create(IDS)), true)
                        .head();
                collector.backward(out.square().mean());
            }
        });
    }

    @Test
    void mergeAndUnmergeAgainAndAgain() {
        assertFlat(peft -> {
            peft.addAdapter("a", LORA.toBuilder().useDora(true).build());
            peft.setActiveAdapters("a");
        }, (peft, scope) -> {
            peft.mergeAdapter("a");
            peft.unmergeAdapter("a");
        });
    }

    /** Warms up once, then checks both managers' array counts over {@link #CALLS} more calls. */
    private static void assertFlat(Consumer<AdapterModel<TinyModel>> setUp, Call call) {
        try (NDManager modelManager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(modelManager, false);
            setUp.accept(peft);
            ArrayCounts.assertFlatOver(CALLS, () -> run(peft, caller, call), modelManager, caller);
            for (Parameter parameter : peft.model().getParameters().values()) {
                if (parameter.getArray().hasGradient()) {
                    parameter.getArray().getGradient().close();
                }
            }
        }
    }

    private static void run(AdapterModel<TinyModel> peft, NDManager caller, Call call) {
        try (NDManager scope = caller.newSubManager()) {
            call.run(peft, scope);
        }
    }

    /** One call of the path under test, its inputs and outputs in {@code scope}. */
    @FunctionalInterface
    private interface Call {
        void run(AdapterModel<TinyModel> peft, NDManager scope);
    }
}

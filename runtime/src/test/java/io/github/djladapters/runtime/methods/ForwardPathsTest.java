package io.github.djladapters.runtime.methods;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The forward orders agree: a batch with at least as many rows as input features runs LoRA and IA3
 * through a weight built for the call, a single short row (and every training forward) runs them on
 * the activations, and a mixed batch stacks each row's own LoRA weights.
 */
class ForwardPathsTest {

    private static final int ROW = IDS[0].length * TinyModel.HIDDEN;
    private static final LoRAConfig RANDOM_LORA = LoRAConfig.builder().r(2).loraAlpha(4)
            .initLoraWeights(LoRAInit.NONE).build();

    @Test
    void loraOnWholeBatchMatchesEachRowAloneAndTheTrainingForward() {
        for (boolean fused : new boolean[] {false, true}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                AdapterModel<TinyModel> peft = tiny(manager, fused);
                peft.addAdapter("a", RANDOM_LORA.toBuilder().intermediateLora(true).outputLora(true).build());
                peft.addAdapter("b", RANDOM_LORA.toBuilder().r(3).build());
                peft.setActiveAdapters("a", "b");
                assertPathsAgree(peft, manager, "fused " + fused);
            }
        }
    }

    @Test
    void ia3OnWholeBatchMatchesEachRowAloneAndTheTrainingForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, true);
            peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).build());
            peft.setActiveAdapters("i");
            assertPathsAgree(peft, manager, "ia3");
        }
    }

    @Test
    void mixedBatchOnFusedProjectionsEqualsEachRowAloneWithItsAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, true);
            peft.addAdapter("a", RANDOM_LORA);
            peft.addAdapter("b", RANDOM_LORA.toBuilder().r(4).attnMatrices("q", "k", "v").build());
            List<String> rows = List.of("b", "", "a");
            float[] batch;
            try (NDManager scope = manager.newSubManager()) {
                batch = peft.forward(new NDList(scope.create(IDS)), rows).head().toFloatArray();
            }
            for (int row = 0; row < rows.size(); row++) {
                if (rows.get(row).isEmpty()) {
                    peft.setActiveAdapters();
                } else {
                    peft.setActiveAdapters(rows.get(row));
                }
                float[] alone = runRow(peft, manager, row);
                assertEquals(0, maxDiff(alone, Arrays.copyOfRange(batch, row * ROW, (row + 1) * ROW)), 1e-5,
                        "row " + row);
            }
        }
    }

    @Test
    void perRowForwardWithOneAdapterOnEveryRowIsThePlainForward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("a", RANDOM_LORA);
            // keys and the feed-forward output: modules the LoRA (queries, values) leaves free
            peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).attnMatrices("k").build());
            for (String name : List.of("a", "i")) {
                peft.setActiveAdapters(name);
                try (NDManager scope = manager.newSubManager()) {
                    NDList input = new NDList(scope.create(IDS));
                    assertArrayEquals(peft.forward(input).head().toFloatArray(),
                            peft.forward(input, List.of(name, name, name)).head().toFloatArray(), name);
                }
            }
        }
    }

    /** The whole batch (folded weights) against single rows and against the training forward (activations). */
    private static void assertPathsAgree(AdapterModel<TinyModel> peft, NDManager manager, String what) {
        float[] batch;
        float[] training;
        float[] base;
        try (NDManager scope = manager.newSubManager()) {
            NDList input = new NDList(scope.create(IDS));
            batch = peft.forward(input).head().toFloatArray();
            training = peft.model().forward(new ParameterStore(scope, false), input, true).head().toFloatArray();
            try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                base = peft.forward(input).head().toFloatArray();
            }
        }
        assertTrue(maxDiff(base, batch) > 1e-3, what + ": the adapters change the output");
        assertEquals(0, maxDiff(training, batch), 1e-5, what + ": training forward");
        for (int row = 0; row < IDS.length; row++) {
            assertEquals(0, maxDiff(runRow(peft, manager, row), Arrays.copyOfRange(batch, row * ROW, (row + 1) * ROW)),
                    1e-5, what + ": row " + row);
        }
    }

    private static float[] runRow(AdapterModel<TinyModel> peft, NDManager manager, int row) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(new long[][] {IDS[row]}))).head().toFloatArray();
        }
    }
}

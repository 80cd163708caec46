package io.github.djladapters.runtime;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.RowAlone;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One adapter per row: the batch equals each row run alone with its adapter, on any thread. */
class MixedBatchTest {

    private static final long[][] IDS = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}, {2, 4, 6, 8}, {3, 3, 7, 1}};
    private static final int ROW = 4 * TinyModel.HIDDEN;

    private static AdapterModel<TinyModel> withFourAdapters(NDManager manager) {
        AdapterModel<TinyModel> peft = tiny(manager, false);
        LoRAConfig random = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE).build();
        peft.addAdapter("a", random);
        peft.addAdapter("b", random.toBuilder().r(3).intermediateLora(true).build());
        peft.addAdapter("d", random.toBuilder().useDora(true).build());
        peft.addAdapter("i", IA3Config.builder().initIa3Weights(false).attnMatrices("k").build());
        return peft;
    }

    private static float[] mixed(AdapterModel<TinyModel> peft, NDManager manager, List<String> rows) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(IDS)), rows).head().toFloatArray();
        }
    }

    @Test
    void mixedBatchEqualsEachRowRunAloneWithItsAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withFourAdapters(manager);
            List<String> rows = List.of("a", "", "b", "i", "d");
            float[] batch = mixed(peft, manager, rows);
            for (int row = 0; row < rows.size(); row++) {
                float[] alone = RowAlone.output(peft, manager, IDS[row], rows.get(row));
                float[] inBatch = Arrays.copyOfRange(batch, row * ROW, (row + 1) * ROW);
                assertEquals(0, maxDiff(alone, inBatch), 1e-5, "row " + row + " with '" + rows.get(row) + "'");
            }
            float[] base = RowAlone.output(peft, manager, IDS[1], "");
            assertEquals(0, maxDiff(base, Arrays.copyOfRange(mixed(peft, manager,
                    List.of(AdapterModel.BASE_MODEL, AdapterModel.BASE_MODEL, "", "", "")), ROW, 2 * ROW)), 1e-6,
                    "a batch of 5 may take another matmul kernel than a batch of 1: equal to float rounding");
        }
    }

    @Test
    void concurrentMixedBatchesOnTwoThreadsEachSeeTheirOwnRows() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withFourAdapters(manager);
            List<String> first = List.of("a", "b", "d", "i", "");
            List<String> second = List.of("", "i", "a", "d", "b");
            float[] expectedFirst = mixed(peft, manager, first);
            float[] expectedSecond = mixed(peft, manager, second);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Double>> results = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    List<String> rows = i % 2 == 0 ? first : second;
                    float[] expected = i % 2 == 0 ? expectedFirst : expectedSecond;
                    results.add(pool.submit(() -> maxDiff(expected, mixed(peft, manager, rows))));
                }
                for (Future<Double> result : results) {
                    assertEquals(0, result.get(), 1e-6);
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void perRowNamesAreCheckedBeforeAnyWork() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withFourAdapters(manager);
            NDList input = new NDList(manager.create(IDS));
            assertThrows(IllegalArgumentException.class, () -> peft.forward(input, List.of("a", "b")));
            String message = assertThrows(IllegalArgumentException.class,
                    () -> peft.forward(input, List.of("a", "", "zz", "", ""))).getMessage();
            assertEquals(true, message.contains("'zz'"), message);
        }
    }
}

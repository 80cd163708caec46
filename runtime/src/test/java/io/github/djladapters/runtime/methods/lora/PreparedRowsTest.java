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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.PreparedRows;
import io.github.djladapters.runtime.methods.RowArrayCache;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rows prepared once and put in force for many forwards (the steps of a decoding batch): every forward
 * equals a forward routed on its own, each row equals its adapter alone, the per-row weights are
 * gathered once and kept, adapters added between forwards do not disturb the rows, and a deleted
 * adapter is refused by name.
 */
class PreparedRowsTest {


    private static AdapterModel<TinyModel> frozen(NDManager manager, String... names) {
        AdapterModel<TinyModel> peft = tiny(manager, false);
        for (int i = 0; i < names.length; i++) {
            peft.addAdapter(names[i], RANDOM.toBuilder().r(2 + i).build());
            peft.freezeAdapter(names[i], true);
        }
        return peft;
    }

    private static float[] prepared(AdapterModel<TinyModel> peft, PreparedRows rows, NDManager manager) {
        try (NDManager scope = manager.newSubManager(); AdapterModel.RowAdapters routed = peft.routeRows(rows)) {
            return peft.forward(new NDList(scope.create(IDS))).head().toFloatArray();
        }
    }

    @Test
    void preparedRowsGiveEveryForwardWhatARoutingOfItsOwnGivesAndGatherOnce() {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = frozen(manager, "a", "b");
            float[] once = mixed(peft, manager);
            int before = caller.getManagedArrays().size();
            try (PreparedRows rows = peft.prepareRows(ROWS, caller, RowArrayCache.DEFAULT_BUDGET_BYTES)) {
                float[] first = prepared(peft, rows, manager);
                long kept = rows.keptBytes();
                // at each LoRA layer: 4 rows of [in, 3] and [3, out] (rank 3, the larger of a's 2 and b's 3)
                long expected = 0;
                for (var layer : peft.adapterLayers()) {
                    if (layer instanceof LoRALayer lora) {
                        expected += 4L * 3 * (lora.linear().inFeatures() + lora.linear().outFeatures()) * 4;
                    }
                }
                assertEquals(expected, kept, "each LoRA layer keeps its rows' gathered weights");
                int arrays = caller.getManagedArrays().size();
                for (int step = 0; step < 5; step++) {
                    assertEquals(0, maxDiff(once, prepared(peft, rows, manager)), 1e-6, "forward " + (step + 2));
                }
                assertEquals(kept, rows.keptBytes(), "nothing gathered again");
                assertEquals(arrays, caller.getManagedArrays().size(), "no arrays pile up over forwards");
                assertEquals(0, maxDiff(once, first), 1e-6, "the first forward");
                assertRowsAlone(peft, manager, first, "prepared rows");
            }
            assertEquals(before, caller.getManagedArrays().size(), "closing the rows frees masks and kept weights");
        }
    }

    @Test
    void anAdapterAddedBetweenForwardsLeavesEveryRowWithItsOwnAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = frozen(manager, "a", "b");
            try (PreparedRows rows = peft.prepareRows(ROWS, manager, RowArrayCache.DEFAULT_BUDGET_BYTES)) {
                float[] first = prepared(peft, rows, manager);
                // no lock is held between forwards: a registration goes on, and the layers' stacks are rebuilt
                peft.addAdapter("c", RANDOM.toBuilder().r(5).build());
                peft.freezeAdapter("c", true);
                float[] second = prepared(peft, rows, manager);
                assertEquals(0, maxDiff(first, second), 1e-6, "the rows keep their adapters");
                assertRowsAlone(peft, manager, second, "after adding c");
                peft.deleteAdapter("c");
                assertEquals(0, maxDiff(first, prepared(peft, rows, manager)), 1e-6, "after deleting c");
            }
        }
    }

    @Test
    void anAdapterDeletedSincePreparingIsRefusedByName() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = frozen(manager, "a", "b");
            try (PreparedRows rows = peft.prepareRows(ROWS, manager, RowArrayCache.DEFAULT_BUDGET_BYTES)) {
                prepared(peft, rows, manager);
                peft.deleteAdapter("b");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> prepared(peft, rows, manager));
                assertTrue(e.getMessage().contains("b"), e.getMessage());
                // the failed forward left no routing behind on this thread
                assertEquals(0, maxDiff(alone(peft, manager, 0), Arrays.copyOf(routedAOnly(peft, manager), ROW)), 1e-5);
            }
        }
    }

    private static float[] routedAOnly(AdapterModel<TinyModel> peft, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(new long[][] {IDS[0]})), List.of("a")).head().toFloatArray();
        }
    }

    @Test
    void pastTheBudgetEachForwardGathersForItselfWithTheSameOutput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = frozen(manager, "a", "b");
            float[] once = mixed(peft, manager);
            try (PreparedRows rows = peft.prepareRows(ROWS, manager, 1)) {
                assertEquals(0, maxDiff(once, prepared(peft, rows, manager)), 1e-6);
                assertEquals(0, maxDiff(once, prepared(peft, rows, manager)), 1e-6);
                assertEquals(0, rows.keptBytes(), "nothing fits a budget of one byte");
            }
            try (PreparedRows rows = peft.prepareRows(ROWS, manager, 0)) {
                assertEquals(0, maxDiff(once, prepared(peft, rows, manager)), 1e-6);
                assertEquals(0, rows.keptBytes(), "a budget of 0 keeps nothing");
            }
        }
    }

    @Test
    void rowsPreparedByAnotherModelAreRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> one = frozen(manager, "a", "b");
            AdapterModel<TinyModel> other = frozen(manager, "a", "b");
            try (PreparedRows rows = one.prepareRows(ROWS, manager, RowArrayCache.DEFAULT_BUDGET_BYTES)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.routeRows(rows));
                assertTrue(e.getMessage().contains("another AdapterModel"), e.getMessage());
            }
        }
    }
}

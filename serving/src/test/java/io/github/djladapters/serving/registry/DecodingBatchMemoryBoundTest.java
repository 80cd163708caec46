package io.github.djladapters.serving.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.PreparedRows;
import io.github.djladapters.runtime.methods.RowArrayCache;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-row LoRA weights a decoding batch keeps across steps ({@link AdapterRegistry#prepareRows})
 * count against the adapter memory bound: the batch's budget is what the bound leaves, it shows in
 * {@link RegistryStats#residentBytes()} while the rows are open, and a registration meanwhile finds
 * that much less room.
 */
class DecodingBatchMemoryBoundTest {

    /** Three rows (a1, a2, the base) x rank 2 x (in 16 + out 16) float32 values at each of 4 LoRA layers. */
    private static final long KEPT_FOR_THREE_ROWS = 3 * 2 * (16 + 16) * 4 * 4;

    @TempDir
    static Path root;

    @BeforeAll
    static void adapters() throws Exception {
        for (int i = 1; i <= 3; i++) {
            TinyBert.writeLora(root.resolve("a" + i), i, 16);
        }
    }

    /** A frozen tiny BERT and its registry with a1 and a2 resident, under a bound. */
    private record Served(AdapterModel<BertModel> model, AdapterRegistry registry) implements AutoCloseable {

        static Served open(NDManager manager, long bound) {
            Engine.getInstance().setRandomSeed(3); // the same base weights in every registry
            AdapterModel<BertModel> model = TinyBert.model(manager);
            model.freezeModel(true);
            AdapterRegistry registry = new AdapterRegistry(model, new AdapterRoot(root),
                    new RegistryOptions(8, bound, ServingMode.UNMERGED));
            registry.register("a1", "a1", true, false);
            registry.register("a2", "a2", true, false);
            return new Served(model, registry);
        }

        /** One forward of three rows under prepared rows, as a decoding step runs. */
        float[] step(PreparedRows rows, NDManager call) {
            NDList inputs = TinyBert.inputs(call, 3, 7);
            try (AdapterModel.RowAdapters routed = registry.routeRows(rows)) {
                return TinyBert.values(model.forward(inputs).head());
            }
        }

        @Override
        public void close() {
            registry.close();
        }
    }

    /** What a1 and a2 take resident (weights and the stacks of mixed forwards), measured under a loose bound. */
    private static long residentA1A2() {
        try (NDManager manager = NDManager.newBaseManager(); Served served = Served.open(manager, 1L << 30)) {
            return served.registry().stats().residentBytes();
        }
    }

    @Test
    void aLooseBoundGivesTheBatchTheDefaultBudgetAndCountsItWhileTheRowsAreOpen() {
        long resident = residentA1A2();
        try (NDManager manager = NDManager.newBaseManager(); NDManager call = NDManager.newBaseManager();
                Served served = Served.open(manager, 1L << 30)) {
            AdapterRegistry registry = served.registry();
            List<AdapterLease> leases = List.of(registry.lease("a1"), registry.lease("a2"), registry.lease(""));
            try (PreparedRows rows = registry.prepareRows(leases, call)) {
                assertEquals(resident + RowArrayCache.DEFAULT_BUDGET_BYTES, registry.stats().residentBytes());
                served.step(rows, call);
                assertEquals(KEPT_FOR_THREE_ROWS, rows.keptBytes(), "each row's A^T and s B^T at each LoRA layer");
            }
            assertEquals(resident, registry.stats().residentBytes(), "closed rows count no more");
            leases.forEach(AdapterLease::close);
        }
    }

    @Test
    void theBatchBudgetIsWhatTheBoundLeavesAndARegistrationFindsThatMuchLessRoom() {
        long resident = residentA1A2();
        float[] kept;
        float[] gatheredPerStep;
        try (NDManager manager = NDManager.newBaseManager(); NDManager call = NDManager.newBaseManager();
                Served served = Served.open(manager, resident + KEPT_FOR_THREE_ROWS)) {
            AdapterRegistry registry = served.registry();
            List<AdapterLease> leases = List.of(registry.lease("a1"), registry.lease("a2"), registry.lease(""));
            try (PreparedRows rows = registry.prepareRows(leases, call)) {
                assertEquals(resident + KEPT_FOR_THREE_ROWS, registry.stats().residentBytes());
                kept = served.step(rows, call);
                assertEquals(KEPT_FOR_THREE_ROWS, rows.keptBytes(), "the rows' weights fit the budget exactly");
                // a3 (1 KiB of weights, 1 KiB more of stacks) would fit beside a1 and a2 were the batch not counted
                RegistryException full = assertThrows(RegistryException.class,
                        () -> registry.register("a3", "a3", true, false));
                assertEquals(RegistryException.Reason.INSUFFICIENT_STORAGE, full.reason());
                assertTrue(full.getMessage().contains("decoding batches"), full.getMessage());
            }
            registry.register("a3", "a3", true, false); // the batch's budget went back with its rows
            assertTrue(registry.isResident("a3"));
            leases.forEach(AdapterLease::close);
        }
        try (NDManager manager = NDManager.newBaseManager(); NDManager call = NDManager.newBaseManager();
                Served served = Served.open(manager, resident)) {
            AdapterRegistry registry = served.registry();
            List<AdapterLease> leases = List.of(registry.lease("a1"), registry.lease("a2"), registry.lease(""));
            try (PreparedRows rows = registry.prepareRows(leases, call)) {
                assertEquals(resident, registry.stats().residentBytes(), "no room left: no budget");
                gatheredPerStep = served.step(rows, call);
                assertEquals(0, rows.keptBytes(), "each step gathers for itself and keeps nothing");
            }
            leases.forEach(AdapterLease::close);
        }
        assertArrayEquals(kept, gatheredPerStep, 1e-6f, "kept or gathered per step, the same outputs");
    }
}

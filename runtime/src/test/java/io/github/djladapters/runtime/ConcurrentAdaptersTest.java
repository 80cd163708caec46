package io.github.djladapters.runtime;

import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What AdapterModel promises to threads: forwards with different adapters (each thread choosing
 * its own active adapters, or one adapter per row) give the single-threaded result while another
 * thread adds and deletes adapters; unsafe uses fail with a clear error instead of a wrong answer.
 */
class ConcurrentAdaptersTest {

    private static final long[][] IDS = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}};
    private static final LoRAConfig LORA = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE)
            .build();
    private static final List<String> NAMES = List.of("a", "b", "");
    private static final int THREADS = 4;
    private static final int ROUNDS = 60;

    private static AdapterModel<TinyModel> withAdapters(NDManager manager) {
        AdapterModel<TinyModel> peft = tiny(manager, false);
        peft.addAdapter("a", LORA);
        peft.addAdapter("b", LORA.toBuilder().r(3).intermediateLora(true).build());
        return peft;
    }

    private static float[] run(AdapterModel<TinyModel> peft, NDManager manager, List<String> rows) {
        try (NDManager scope = manager.newSubManager()) {
            NDList input = new NDList(scope.create(IDS));
            return (rows == null ? peft.forward(input) : peft.forward(input, rows)).head().toFloatArray();
        }
    }

    private static void activate(AdapterModel<TinyModel> peft, String name) {
        if (name.isEmpty()) {
            peft.setActiveAdapters();
        } else {
            peft.setActiveAdapters(name);
        }
    }

    @Test
    void threadsThatEachActivateTheirAdapterGetTheirOwnResultWhileAdaptersComeAndGo() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withAdapters(manager);
            Map<String, float[]> expected = new java.util.HashMap<>();
            for (String name : NAMES) {
                activate(peft, name);
                expected.put(name, run(peft, manager, null));
            }
            List<String> mixedRows = List.of("b", "", "a");
            float[] mixedExpected = run(peft, manager, mixedRows);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger churn = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
            try {
                Future<?> changer = pool.submit(() -> {
                    while (!stop.get()) {
                        peft.addAdapter("tmp", LORA.toBuilder().r(4).build());
                        peft.deleteAdapter("tmp");
                        churn.incrementAndGet();
                    }
                    return null;
                });
                List<Future<Integer>> workers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    workers.add(pool.submit((Callable<Integer>) () -> {
                        int checked = 0;
                        for (int round = 0; round < ROUNDS; round++) {
                            String name = NAMES.get((thread + round) % NAMES.size());
                            if (round % 3 == 2) {
                                assertArrayEquals(mixedExpected, run(peft, manager, mixedRows), "mixed rows");
                            } else {
                                activate(peft, name);
                                assertArrayEquals(expected.get(name), run(peft, manager, null), "adapter '" + name + "'");
                            }
                            checked++;
                        }
                        return checked;
                    }));
                }
                int checked = 0;
                for (Future<Integer> worker : workers) {
                    checked += worker.get();
                }
                stop.set(true);
                changer.get();
                assertEquals(THREADS * ROUNDS, checked);
                assertTrue(churn.get() > 0, "adapters were added and deleted meanwhile");
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }

    @Test
    void hotSwapWhileOtherThreadsRouteRowsToTheAdapterGivesTheRightResultOrAClearError() throws Exception {
        java.nio.file.Path saved = java.nio.file.Files.createTempDirectory("hot-swap");
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withAdapters(manager);
            peft.saveAdapterFolder("a", saved);
            List<String> rows = List.of("a", "", "b");
            float[] expected = run(peft, manager, rows);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger swaps = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
            try {
                Future<?> swapper = pool.submit(() -> {
                    while (!stop.get()) {
                        peft.deleteAdapter("a");
                        peft.loadAdapter(saved, "a");
                        swaps.incrementAndGet();
                    }
                    return null;
                });
                List<Future<Integer>> readers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    readers.add(pool.submit((Callable<Integer>) () -> {
                        int right = 0;
                        for (int round = 0; round < ROUNDS; round++) {
                            try {
                                assertArrayEquals(expected, run(peft, manager, rows), "routed rows during a hot swap");
                                right++;
                            } catch (IllegalArgumentException e) {
                                assertTrue(e.getMessage().contains("no adapter named 'a'"), e.getMessage());
                                refused.incrementAndGet();
                            }
                        }
                        return right;
                    }));
                }
                int right = 0;
                for (Future<Integer> reader : readers) {
                    right += reader.get();
                }
                stop.set(true);
                swapper.get();
                assertEquals(THREADS * ROUNDS, right + refused.get());
                assertTrue(right > 0 && swaps.get() > 0, right + " right results, " + swaps.get() + " swaps");
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }

    @Test
    void forwardWithAnAdapterAnotherThreadDeletedFailsNamingIt() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withAdapters(manager);
            peft.setActiveAdapters("a");
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                other.submit(() -> peft.deleteAdapter("a")).get();
            } finally {
                other.shutdown();
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(peft, manager, null));
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("deleted"), e.getMessage());
        }
    }

    @Test
    void changingAdaptersInsideARoutingScopeOfTheSameThreadFailsAtOnce() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = withAdapters(manager);
            try (AdapterModel.RowAdapters rows = peft.routeRows(List.of("a", "b", ""), manager)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> peft.deleteAdapter("a"));
                assertTrue(e.getMessage().contains("deleteAdapter"), e.getMessage());
                assertThrows(IllegalStateException.class,
                        () -> peft.addAdapter("i", IA3Config.builder().build()));
            }
            peft.deleteAdapter("a"); // allowed once the scope is closed
            assertEquals(List.of("b"), List.copyOf(peft.adapters()));
        }
    }
}

package io.github.djladapters.serving.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterRegistryTest {

    @TempDir
    Path root;

    private NDManager manager;
    private AdapterModel<BertModel> model;

    @BeforeEach
    void setUp() throws Exception {
        manager = NDManager.newBaseManager();
        model = TinyBert.model(manager);
        for (int i = 1; i <= 3; i++) {
            TinyBert.writeLora(root.resolve("a" + i), i, 16);
        }
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private AdapterRegistry registry(int maxLoras, long maxBytes, ServingMode mode) {
        return new AdapterRegistry(model, new AdapterRoot(root), new RegistryOptions(maxLoras, maxBytes, mode));
    }

    private float[] hidden(AdapterRegistry registry, NDList inputs, List<String> rows) {
        return registry.run(rows, forward -> TinyBert.values(forward.forward(inputs).head()));
    }

    @Test
    void scanRegistersEveryAdapterFolderAndReportsBrokenOnes() throws Exception {
        Files.createDirectories(root.resolve("broken"));
        Files.writeString(root.resolve("broken/adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": ");
        Files.createDirectories(root.resolve("not-an-adapter"));
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        Map<String, String> failures = registry.scan();
        assertEquals(Set.of("broken"), failures.keySet());
        assertTrue(failures.get("broken").startsWith("Failed to load adapter broken"), failures.get("broken"));
        assertEquals(List.of("a1", "a2", "a3"), registry.adapters().stream().map(AdapterInfo::name).toList());
        assertTrue(registry.isResident("a2"));
        assertEquals(3, model.adapters().size());
    }

    @Test
    void mixedBatchEqualsEachRowRunAlone() {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        for (String name : List.of("a1", "a2", "a3")) {
            registry.register(name, name, true, false);
        }
        NDList inputs = TinyBert.inputs(manager, 4, 7);
        List<String> rows = List.of("a1", "a2", "a3", "");
        float[] mixed = hidden(registry, inputs, rows);
        int perRow = mixed.length / 4;
        float[] base = hidden(registry, TinyBert.row(inputs, 3), List.of(""));
        for (int row = 0; row < 4; row++) {
            float[] alone = hidden(registry, TinyBert.row(inputs, row), List.of(rows.get(row)));
            float[] inBatch = java.util.Arrays.copyOfRange(mixed, row * perRow, (row + 1) * perRow);
            assertTrue(TinyBert.maxDiff(alone, inBatch) < 1e-5, "row " + row + ": " + TinyBert.maxDiff(alone, inBatch));
            if (row < 3) {
                float[] baseOfRow = hidden(registry, TinyBert.row(inputs, row), List.of(""));
                assertTrue(TinyBert.maxDiff(alone, baseOfRow) > 1e-2, "adapter " + rows.get(row) + " changes nothing");
            }
        }
        assertEquals(perRow, base.length);
    }

    @Test
    void mergedModeGivesTheSameOutputAsUnmerged() {
        NDList inputs = TinyBert.inputs(manager, 2, 3);
        AdapterRegistry unmerged = registry(8, 1L << 30, ServingMode.UNMERGED);
        unmerged.register("a1", "a1", true, false);
        float[] expected = hidden(unmerged, inputs, List.of("a1", "a1"));
        float[] base = hidden(unmerged, inputs, List.of("", ""));
        unmerged.unregister("a1");

        AdapterRegistry merged = registry(8, 1L << 30, ServingMode.MERGED);
        merged.register("a1", "a1", true, false);
        merged.register("a2", "a2", true, false);
        assertTrue(TinyBert.maxDiff(expected, hidden(merged, inputs, List.of("a1", "a1"))) < 1e-4);
        hidden(merged, inputs, List.of("a2", "a2"));
        assertTrue(TinyBert.maxDiff(base, hidden(merged, inputs, List.of("", ""))) < 1e-4, "unmerge restores the base");
        assertTrue(TinyBert.maxDiff(expected, hidden(merged, inputs, List.of("a1", "a1"))) < 1e-4);
        assertThrows(IllegalArgumentException.class, () -> hidden(merged, inputs, List.of("a1", "a2")));
    }

    @Test
    void failedRegistrationLeavesRegistryAndModelAsTheyWere() throws Exception {
        TinyBert.writeLora(root.resolve("wide"), 9, 32);           // shapes of a wider model
        Files.createDirectories(root.resolve("nowhere"));             // a config that targets no module
        for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(root.resolve("a1").resolve(file), root.resolve("nowhere").resolve(file));
        }
        Path config = root.resolve("nowhere/adapter_config.json");
        Files.writeString(config, Files.readString(config).replace("\"query\"", "\"no_such_proj\""));
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, false);
        NDList inputs = TinyBert.inputs(manager, 2, 11);
        float[] before = hidden(registry, inputs, List.of("a1", ""));
        long parameters = model.trainableParameters().all();
        Set<String> adapters = Set.copyOf(model.adapters());

        for (String bad : List.of("wide", "nowhere")) {
            RegistryException e = assertThrows(RegistryException.class, () -> registry.register(bad, bad, true, false));
            assertEquals(RegistryException.Reason.FAILED_DEPENDENCY, e.reason());
            assertTrue(e.getMessage().startsWith("Failed to load adapter " + bad + " from "), e.getMessage());
            assertFalse(registry.contains(bad));
        }
        RegistryException shapes = assertThrows(RegistryException.class, () -> registry.register("w", "wide", true, false));
        assertTrue(shapes.getMessage().contains("shape"), shapes.getMessage());

        assertEquals(adapters, Set.copyOf(model.adapters()));
        assertEquals(parameters, model.trainableParameters().all());
        assertArrayEquals(before, hidden(registry, inputs, List.of("a1", "")));
        assertEquals(1, registry.adapters().size());
    }

    @Test
    void managementErrorsCarryDjlServingStatuses() throws Exception {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", false, false);
        assertEquals(409, assertThrows(RegistryException.class, () -> registry.register("a1", "a2", true, false))
                .reason().status());
        assertEquals(404, assertThrows(RegistryException.class, () -> registry.describe("zz")).reason().status());
        assertEquals(404, assertThrows(RegistryException.class, () -> registry.unregister("zz")).reason().status());
        assertEquals(400, assertThrows(RegistryException.class, () -> registry.register("", "a1", true, false))
                .reason().status());
        RegistryException unknown = assertThrows(RegistryException.class,
                () -> registry.run(List.of("zz"), forward -> null));
        assertEquals(424, unknown.reason().status());
        assertEquals("Adapter zz is not registered", unknown.getMessage());
    }

    @Test
    void sourcesOutsideTheRootAreRefused(@TempDir Path outside) throws Exception {
        TinyBert.writeLora(outside.resolve("evil"), 5, 16);
        Files.createSymbolicLink(root.resolve("link"), outside.resolve("evil"));
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        for (String src : List.of("../evil", "a1/../../evil", outside.resolve("evil").toString(), "link",
                "https://example.com/a1", "file:///tmp/a1", "missing")) {
            RegistryException e = assertThrows(RegistryException.class, () -> registry.register("x", src, true, false), src);
            assertEquals(400, e.reason().status(), src);
            assertTrue(e.getMessage().startsWith("Invalid adapter src '" + src + "'"), e.getMessage());
        }
        assertEquals(root.resolve("a1").toRealPath().toString(),
                registry.register("abs", root.resolve("a1").toString(), false, false).src());
        assertTrue(registry.adapters().size() == 1 && model.adapters().isEmpty());
    }

    @Test
    void listIsPagedAsDjlServing() {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        for (String name : List.of("a1", "a2", "a3")) {
            registry.register(name, name, false, name.equals("a2"));
        }
        AdapterPage first = registry.list(2, 0);
        assertEquals(List.of("a1", "a2"), first.adapters().stream().map(AdapterInfo::name).toList());
        assertEquals("2", first.nextPageToken());
        AdapterPage second = registry.list(2, 2);
        assertEquals(List.of("a3"), second.adapters().stream().map(AdapterInfo::name).toList());
        assertNull(second.nextPageToken());
        assertEquals(new AdapterInfo("a2", root.resolve("a2").toString(), true, true), registry.describe("a2"));
    }

    @Test
    void leastRecentlyUsedUnpinnedAdapterIsEvicted() throws Exception {
        AdapterRegistry registry = registry(2, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, true);
        registry.register("a2", "a2", true, false);
        NDList inputs = TinyBert.inputs(manager, 1, 5);
        float[] a2 = hidden(registry, inputs, List.of("a2"));
        registry.register("a3", "a3", true, false);              // evicts a2, the only unpinned one
        assertFalse(registry.isResident("a2"));
        assertTrue(registry.isResident("a1") && registry.isResident("a3"));
        assertArrayEquals(a2, hidden(registry, inputs, List.of("a2"))); // reloaded on use, evicting a3
        assertFalse(registry.isResident("a3"));
        assertEquals(new RegistryStats(3, 2, registry.stats().residentBytes(), 2), registry.stats());
        assertEquals(2, model.adapters().size());
    }

    @Test
    void noRoomIs507AndChangesNothing() {
        AdapterRegistry registry = registry(1, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, true);
        RegistryException full = assertThrows(RegistryException.class, () -> registry.register("a2", "a2", true, false));
        assertEquals(507, full.reason().status());
        assertFalse(registry.contains("a2"));
        assertEquals(1, model.adapters().size());

        AdapterRegistry tiny = new AdapterRegistry(TinyBert.model(manager), new AdapterRoot(root),
                new RegistryOptions(8, 1000, ServingMode.UNMERGED));
        RegistryException bytes = assertThrows(RegistryException.class, () -> tiny.register("a1", "a1", true, false));
        assertEquals(507, bytes.reason().status());
        // 2 layers x (query, value) x (A [2,16] + B [16,2]) floats
        assertTrue(bytes.getMessage().contains("(" + (2 * 2 * 2 * 32 * 4) + " bytes of weights)"), bytes.getMessage());
    }

    /**
     * The memory bound counts the per-row copy mixed forwards keep at each LoRA layer: TinyBert's
     * adapters are 2 layers x (query, value) x (A [2,16] + B [16,2]) floats = 1024 bytes of weights; the
     * kept stack of n such adapters is (n + 1) slots of [16, 2] + [2, 16] floats at each of the 4 layers.
     */
    @Test
    void memoryBoundCountsTheKeptPerRowCopy() {
        long weights = 2 * 2 * (2 * 16 + 16 * 2) * 4;
        long slot = 4 * (16 * 2 + 2 * 16) * 4;
        AdapterRegistry registry = registry(8, weights + 2 * slot + 100, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, false);
        assertEquals(weights + 2 * slot, registry.stats().residentBytes());
        // two adapters' weights alone (1024 bytes) would fit; with their kept copy (3 slots) they do not
        registry.register("a2", "a2", true, false);
        assertFalse(registry.isResident("a1"), "a1 is evicted to make room for a2 and its per-row copy");
        assertEquals(weights + 2 * slot, registry.stats().residentBytes());
        NDList inputs = TinyBert.inputs(manager, 2, 3);
        float[] mixed = hidden(registry, inputs, List.of("a2", ""));
        assertEquals(1, model.adapters().size());
        assertTrue(mixed.length > 0);

        // merged mode keeps no per-row copy: the weights alone count
        AdapterRegistry merged = new AdapterRegistry(TinyBert.model(manager), new AdapterRoot(root),
                new RegistryOptions(8, 3 * weights, ServingMode.MERGED));
        merged.register("a1", "a1", true, false);
        merged.register("a2", "a2", true, false);
        assertEquals(2 * weights, merged.stats().residentBytes());
    }

    /**
     * Closing stops new work with 503, lets a batch in flight finish with its version, and frees every
     * version from the model: idle ones at once, the one in use when its batch ends.
     */
    @Test
    void closeRefusesNewWorkAndFreesEveryVersion() throws Exception {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, false);
        registry.register("a2", "a2", true, true);
        NDList inputs = TinyBert.inputs(manager, 1, 9);
        float[] before = hidden(registry, inputs, List.of("a1"));
        float[][] during = new float[1][];
        int[] inUse = new int[1];
        registry.run(List.of("a1"), forward -> {
            inUse[0] = CompletableFuture.supplyAsync(() -> registry.close(java.time.Duration.ofMillis(100))).join();
            assertEquals(Set.of("a1#1"), model.adapters(),
                    "the idle version left at once; the one in use stays for its batch");
            during[0] = TinyBert.values(forward.forward(inputs).head());
            return null;
        });
        assertEquals(1, inUse[0], "one version was still in use when close returned");
        assertArrayEquals(before, during[0], "the batch in flight finished with its weights");
        assertTrue(model.adapters().isEmpty(), "every version left the model: " + model.adapters());
        assertEquals(0, registry.stats().resident());
        for (Runnable call : List.<Runnable>of(() -> registry.register("a3", "a3", true, false),
                () -> registry.run(List.of("a1"), forward -> null), () -> registry.lease("a2"))) {
            RegistryException refused = assertThrows(RegistryException.class, call::run);
            assertEquals(503, refused.reason().status());
            assertTrue(refused.getMessage().contains("shutting down"), refused.getMessage());
        }
        assertEquals(0, registry.close(java.time.Duration.ZERO), "closing again does nothing more");
    }

    @Test
    void batchInFlightKeepsTheVersionItStartedWith() throws Exception {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, false);
        NDList inputs = TinyBert.inputs(manager, 1, 21);
        float[] old = hidden(registry, inputs, List.of("a1"));
        float[][] during = new float[2][];
        registry.run(List.of("a1"), forward -> {
            during[0] = TinyBert.values(forward.forward(inputs).head());
            CompletableFuture.runAsync(() -> registry.update("a1", "a2", null, null)).join();
            CompletableFuture.runAsync(() -> registry.unregister("a1")).join();
            during[1] = TinyBert.values(forward.forward(inputs).head());
            return null;
        });
        assertArrayEquals(old, during[0]);
        assertArrayEquals(old, during[1]);
        assertFalse(registry.contains("a1"));
        assertTrue(model.adapters().isEmpty(), "retired versions leave once the batch is done: " + model.adapters());
    }

    @Test
    void updateSwapsToNewWeightsAtomically() throws Exception {
        AdapterRegistry registry = registry(8, 1L << 30, ServingMode.UNMERGED);
        registry.register("a1", "a1", true, false);
        registry.register("a2", "a2", true, false);
        NDList inputs = TinyBert.inputs(manager, 1, 4);
        float[] a2 = hidden(registry, inputs, List.of("a2"));
        assertEquals(new AdapterInfo("a1", root.resolve("a2").toString(), true, true), registry.update("a1", "a2", null, true));
        assertArrayEquals(a2, hidden(registry, inputs, List.of("a1")));
        TinyBert.writeLora(root.resolve("wide"), 9, 32);
        assertEquals(424, assertThrows(RegistryException.class, () -> registry.update("a1", "wide", null, null))
                .reason().status());
        assertEquals(root.resolve("a2").toString(), registry.describe("a1").src());
        assertArrayEquals(a2, hidden(registry, inputs, List.of("a1")));
        assertEquals(2, model.adapters().size());
    }
}

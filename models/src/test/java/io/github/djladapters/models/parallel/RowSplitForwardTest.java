package io.github.djladapters.models.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.composition.BatchSplit;
import io.github.djladapters.runtime.composition.Parallel;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The inference forward of a tiny BERT with an unmerged LoRA adapter, run as row groups on a
 * {@link TorchThreadTeam}, gives every output of the whole batch's forward (padded rows of different
 * lengths), and refuses a per-row routing that the team's threads would not see.
 */
class RowSplitForwardTest {

    private static final int ROWS = PaddedBatch.ROWS;

    @ParameterizedTest(name = "groups={0}")
    @ValueSource(ints = {2, 3, 8})
    void outputsEqualTheWholeBatchs(int groups) {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(groups)) {
            AdapterModel<BertModel> adapters = model(manager);
            BertModel model = adapters.model();
            NDList batch = batch(manager);
            NDList whole;
            try (GradientsOff off = GradientsOff.onThisThread()) {
                whole = model.forward(new ParameterStore(manager, false), batch, false);
            }
            NDList split = RowSplitForward.forward(team, manager, batch,
                    (scope, rows) -> model.forward(new ParameterStore(scope, false), rows, false));

            assertEquals(whole.size(), split.size(), "outputs (last hidden state and pooled)");
            for (int i = 0; i < whole.size(); i++) {
                assertArrayEquals(whole.get(i).getShape().getShape(), split.get(i).getShape().getShape());
                float[] expected = whole.get(i).toFloatArray();
                float[] actual = split.get(i).toFloatArray();
                double scale = 0;
                for (float v : expected) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertTrue(scale > 0.1, "a non-trivial output");
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k], 1e-5 * scale, "output " + i + " [" + k + "]");
                }
                assertEquals(manager, split.get(i).getManager(), "joined outputs belong to the caller's manager");
            }
        }
    }

    @Test
    void aPerRowRoutingOnTheCallersThreadIsRefused() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            AdapterModel<BertModel> adapters = model(manager);
            NDList batch = batch(manager);
            try (AdapterModel.RowAdapters routed = adapters.routeRows(Collections.nCopies(ROWS, "lora"), manager)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> RowSplitForward.forward(team, manager, batch, (scope, rows) -> rows));
                assertTrue(e.getMessage().contains("per-row adapter routing"), e.getMessage());
            }
        }
    }

    @Test
    void aGroupsFailureIsThrownAfterEveryGroupEnded() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            NDList batch = batch(manager);
            TorchThreadTeam.TeamTaskException e = assertThrows(TorchThreadTeam.TeamTaskException.class,
                    () -> RowSplitForward.forward(team, manager, batch, (scope, rows) -> {
                        if (rows.head().getShape().get(0) == 3) { // the second group
                            throw new IllegalArgumentException("bad rows");
                        }
                        return new NDList(rows.head().toType(DataType.FLOAT32, true));
                    }));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }

    @Test
    void aParallelSetupFailsInsteadOfJoiningRowsInAWrongOrder() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            AdapterModel<BertModel> adapters = model(manager, "lora", "other");
            adapters.setActiveAdapters(Parallel.of("lora", "other"));
            NDList batch = batch(manager);
            NDArray whole;
            NDArray groupsJoined;
            try (GradientsOff off = GradientsOff.onThisThread()) {
                whole = adapters.forward(batch).head(); // lora's 7 rows, then other's 7
                // what joining the groups' outputs along the first axis gave: each group's branches in turn
                NDList parts = new NDList();
                int[] bounds = RowGroups.bounds(ROWS, team.size());
                for (int g = 0; g + 1 < bounds.length; g++) {
                    parts.add(adapters.forward(RowGroups.slice(batch, bounds[g], bounds[g + 1], manager)).head());
                }
                groupsJoined = NDArrays.concat(parts, 0);
            }
            assertArrayEquals(whole.getShape().getShape(), groupsJoined.getShape().getShape(),
                    "the joined groups have the whole output's shape: no shape check would notice");
            assertEquals(2 * ROWS, whole.getShape().get(0));
            float[] row4 = whole.get(4).toFloatArray(); // lora on row 4; the groups' join has other on row 0 there
            float[] joinedRow4 = groupsJoined.get(4).toFloatArray();
            assertTrue(maxDiff(row4, joinedRow4) > 0.1, "the join puts another row (and branch) at row 4");
            assertTrue(maxDiff(whole.get(7).toFloatArray(), groupsJoined.get(4).toFloatArray()) < 1e-4,
                    "the join's row 4 is the whole output's row 7 (other on row 0)");

            int arrays = manager.getManagedArrays().size();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowSplitForward.forward(
                    team, manager, batch, (scope, rows) -> adapters.forward(rows)));
            assertTrue(e.getMessage().startsWith("output 0 of row group 0 (rows 0 to 3) has 8 rows on its first axis"
                    + " (shape (8, 9, 16)), expected 4, one per input row"), e.getMessage());
            assertTrue(e.getMessage().contains("a top-level Parallel setup"), e.getMessage());
            assertEquals(arrays, manager.getManagedArrays().size(), "nothing of the failed call left in the manager");
        }
    }

    @Test
    void aBatchSplitSetupIsRefusedByEveryGroup() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(2)) {
            AdapterModel<BertModel> adapters = model(manager, "lora", "other");
            adapters.setActiveAdapters(BatchSplit.of(List.of(3, 4), "lora", "other"));
            NDList batch = batch(manager);
            try (GradientsOff off = GradientsOff.onThisThread()) {
                assertEquals(ROWS, adapters.forward(batch).head().getShape().get(0), "the whole batch runs");
            }
            int arrays = manager.getManagedArrays().size();
            TorchThreadTeam.TeamTaskException e = assertThrows(TorchThreadTeam.TeamTaskException.class,
                    () -> RowSplitForward.forward(team, manager, batch, (scope, rows) -> adapters.forward(rows)));
            assertInstanceOf(IllegalStateException.class, e.getCause(), e.getMessage());
            assertTrue(e.getCause().getMessage().startsWith("row groups cannot run a BatchSplit: the active setup"),
                    e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains("runs rows 0 to 3 of a batch of 7 as one row group"),
                    e.getCause().getMessage());
            assertEquals(1, e.getSuppressed().length, "the second group refused it too");
            assertEquals(arrays, manager.getManagedArrays().size(), "nothing of the failed call left in the manager");
        }
    }

    @Test
    void anOutputWithoutOneRowPerInputRowIsNamed() {
        try (NDManager manager = NDManager.newBaseManager(); TorchThreadTeam team = TorchThreadTeam.create(3)) {
            NDList batch = batch(manager);
            int arrays = manager.getManagedArrays().size();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RowSplitForward.forward(team, manager, batch, (scope, rows) -> new NDList(
                            rows.head().toType(DataType.FLOAT32, true), // one row per row: fine
                            rows.head().toType(DataType.FLOAT32, true).mean(new int[] {0}, true)))); // pooled
            assertTrue(e.getMessage().startsWith("output 1 of row group 0 (rows 0 to 2) has 1 row on its first axis"
                    + " (shape (1, 9)), expected 3"), e.getMessage());
            assertEquals(arrays, manager.getManagedArrays().size(), "nothing of the failed call left in the manager");
            IllegalArgumentException scalar = assertThrows(IllegalArgumentException.class,
                    () -> RowSplitForward.forward(team, manager, batch,
                            (scope, rows) -> new NDList(rows.head().toType(DataType.FLOAT32, true).sum())));
            assertTrue(scalar.getMessage().startsWith("output 0 of row group 0 (rows 0 to 2) has no first axis"),
                    scalar.getMessage());
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static AdapterModel<BertModel> model(NDManager manager) {
        return model(manager, "lora");
    }

    private static AdapterModel<BertModel> model(NDManager manager, String... names) {
        BertConfig config = new BertConfig("bert", 40, 16, 2, 2, 24, "gelu", 0.1f, 0.1f, 32, 2, 1e-12, 0, 2);
        Engine.getInstance().setRandomSeed(7);
        BertModel base = new BertModel(config, false);
        base.setInitializer(new NormalInitializer(0.3f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        for (String name : names) {
            adapters.addAdapter(name, LoRAConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").build());
        }
        Random random = new Random(3);
        adapters.model().getParameters().forEach(pair -> { // LoRA's B starts at zero: make the adapter count
            if (pair.getKey().contains("lora")) {
                NDArray array = pair.getValue().getArray();
                float[] values = array.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (0.3 * random.nextGaussian());
                }
                array.set(values);
            }
        });
        adapters.setActiveAdapters(names[0]);
        return adapters;
    }

    private static NDList batch(NDManager manager) {
        return PaddedBatch.of(manager);
    }
}

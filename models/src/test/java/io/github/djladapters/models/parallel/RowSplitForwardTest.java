package io.github.djladapters.models.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.Collections;
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
                        return new NDList(rows.head().toType(ai.djl.ndarray.types.DataType.FLOAT32, true));
                    }));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }

    private static AdapterModel<BertModel> model(NDManager manager) {
        BertConfig config = new BertConfig("bert", 40, 16, 2, 2, 24, "gelu", 0.1f, 0.1f, 32, 2, 1e-12, 0, 2);
        Engine.getInstance().setRandomSeed(7);
        BertModel base = new BertModel(config, false);
        base.setInitializer(new NormalInitializer(0.3f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").build());
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
        adapters.setActiveAdapters("lora");
        return adapters;
    }

    private static NDList batch(NDManager manager) {
        return PaddedBatch.of(manager);
    }
}

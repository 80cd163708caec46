package io.github.djladapters.runtime.methods.lora;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.testmodel.RowAlone;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Arrays;
import java.util.List;

/**
 * The batch of the per-row LoRA tests: four rows of four tokens routed to {@code a}, the base model,
 * {@code b} and {@code a}, run mixed in one forward or each row alone with its adapter active.
 */
final class MixedRows {

    static final long[][] IDS = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}, {2, 4, 6, 8}};
    /** Output values per row: four positions of the tiny model's hidden size. */
    static final int ROW = 4 * TinyModel.HIDDEN;
    static final List<String> ROWS = List.of("a", "", "b", "a");
    /** A LoRA with random A and B (so it changes the output), rank 2. */
    static final LoRAConfig RANDOM = LoRAConfig.builder().r(2).loraAlpha(4).initLoraWeights(LoRAInit.NONE).build();

    private MixedRows() {}

    /** The batch in one forward, each row routed to its adapter. */
    static float[] mixed(AdapterModel<TinyModel> peft, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(IDS)), ROWS).head().toFloatArray();
        }
    }

    /** One row through the plain single-adapter path, which keeps nothing between forwards. */
    static float[] alone(AdapterModel<TinyModel> peft, NDManager manager, int row) {
        return RowAlone.output(peft, manager, IDS[row], ROWS.get(row));
    }

    /** Asserts that each row of a batch's output equals that row run alone with its adapter. */
    static void assertRowsAlone(AdapterModel<TinyModel> peft, NDManager manager, float[] batch, String when) {
        for (int row = 0; row < ROWS.size(); row++) {
            float[] inBatch = Arrays.copyOfRange(batch, row * ROW, (row + 1) * ROW);
            assertEquals(0, maxDiff(alone(peft, manager, row), inBatch), 1e-5,
                    when + ": row " + row + " with '" + ROWS.get(row) + "'");
        }
    }
}

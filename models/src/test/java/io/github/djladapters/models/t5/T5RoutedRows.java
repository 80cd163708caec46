package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Seq2SeqGenerator;
import io.github.djladapters.runtime.AdapterModel;
import java.util.List;

/** The check that a T5 batch routed per row gives each row what its adapter (or the base) gives alone. */
public final class T5RoutedRows {

    private T5RoutedRows() {}

    /**
     * With adapters {@code a} and {@code b} added: a forward over {@code inputs} (three rows) routed
     * {@code b, base, a} equals each row run alone within 1e-5; greedy generation routed
     * {@code a, base, b} gives the same tokens with and without the cache, and each row's tokens equal
     * that row generated alone.
     *
     * @param adapters the adapted model, holding adapters {@code a} and {@code b}
     * @param manager for the inputs and outputs
     * @param inputs three rows of input ids, mask and decoder ids
     * @param base the base model's output for {@code inputs}, taken before the adapters were added
     * @throws Exception when a forward or generation fails
     */
    public static void assertEachRowAsAlone(AdapterModel<T5ForConditionalGeneration> adapters, NDManager manager,
            NDList inputs, NDArray base) throws Exception {
        adapters.setActiveAdapters("a");
        NDArray a = adapters.forward(inputs).head();
        adapters.setActiveAdapters("b");
        NDArray b = adapters.forward(inputs).head();
        NDArray mixed = adapters.forward(inputs, List.of("b", "", "a")).head();
        assertEquals(0, mixed.get("0").sub(b.get("0")).abs().max().getFloat(), 1e-5, "row 0 as b alone");
        assertEquals(0, mixed.get("1").sub(base.get("1")).abs().max().getFloat(), 1e-5, "row 1 as the base");
        assertEquals(0, mixed.get("2").sub(a.get("2")).abs().max().getFloat(), 1e-5, "row 2 as a alone");

        List<int[]> prompts = List.of(new int[] {5, 9, 17, 33, 2, 1}, new int[] {30, 3, 12, 1}, new int[] {7, 21});
        Seq2SeqGenerator generator = new Seq2SeqGenerator(adapters.model());
        GenerationConfig greedy = GenerationConfig.greedy(6);
        List<String> rows = List.of("a", "", "b");
        List<int[]> cached;
        List<int[]> uncached;
        try (AdapterModel.RowAdapters routed = adapters.routeRows(rows, manager)) {
            cached = generator.generate(manager, prompts, greedy);
            uncached = generator.generate(manager, prompts, greedy.withCache(false));
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(uncached.get(i), cached.get(i), "cached and uncached tokens, row " + i);
            List<int[]> alone;
            if (rows.get(i).isEmpty()) {
                try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                    alone = generator.generate(manager, List.of(prompts.get(i)), greedy);
                }
            } else {
                adapters.setActiveAdapters(rows.get(i));
                alone = generator.generate(manager, List.of(prompts.get(i)), greedy);
            }
            assertArrayEquals(alone.get(0), cached.get(i), "row " + i + " as its adapter alone");
        }
    }
}

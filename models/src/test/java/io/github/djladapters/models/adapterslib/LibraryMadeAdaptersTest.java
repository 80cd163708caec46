package io.github.djladapters.models.adapterslib;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adapters saved by the real Adapters library ({@code model.save_adapter}, {@code save_adapter_fusion},
 * see {@code fixtures/adapters-library/README.md}) load with {@code loadAdapter} and reproduce the
 * library's outputs on the same inputs within 1e-4.
 */
class LibraryMadeAdaptersTest {

    @ParameterizedTest
    @ValueSource(strings = {"bert-seq-bn", "bert-double-seq-bn", "bert-par-bn", "bert-seq-bn-inv", "bert-loreft",
        "bert-fusion", "gpt2-seq-bn-inv", "llama-seq-bn-inv", "gpt2-double-seq-bn", "llama-seq-bn", "llama-par-bn"})
    void libraryMadeAdapterReproducesTheLibrarysOutputs(String name) throws Exception {
        LibraryFixture fixture = LibraryFixture.open("library-made", name);
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<?> model = LibraryFixture.baseModel(fixture.kind(), manager);
            float[] base = fixture.run(model, manager);
            double baseDiff = LibraryFixture.maxDiff(fixture.output("base"), base);
            assertTrue(baseDiff < 1e-4, name + ": the base model differs from transformers by " + baseDiff);
            fixture.loadInto(model);
            float[] adapted = fixture.run(model, manager);
            double diff = LibraryFixture.maxDiff(fixture.output("adapted"), adapted);
            double change = LibraryFixture.maxDiff(fixture.output("base"), adapted);
            System.out.printf("%s: max abs diff vs the Adapters library %.2e (the adapter moves the output by %.3f)%n",
                    name, diff, change);
            assertTrue(change > 0.1, name + ": the adapter should change the output");
            assertTrue(diff < 1e-4, name + ": differs from the library by " + diff);
        }
    }
}

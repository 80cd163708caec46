package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prefix tuning on T5 as PEFT does it on sequence-to-sequence models, on a tiny T5 of 3 encoder and
 * 2 decoder blocks whose attention is wider than the model ({@code 4 x 6 = 24} against
 * {@code d_model 16}): the table has a block per encoder layer and decoder layer {@code i} reads block
 * {@code 2i mod 3} (block 1 is read by no layer, so it gets no gradient); the adapter changes the
 * output and {@code disableAdapters} restores it; save and reload give identical logits; gradients
 * reach the adapter only; the trainable count is {@code n x 2 x 3 x 24}; a row routed to the base
 * model gives the base logits and rows routed to adapters of different lengths give what each
 * gives alone, also through cached and uncached generation. Layouts PEFT cannot run are refused.
 */
class T5PrefixTuningTest {

    private static final int N = 3;
    private static final int KV = 24;

    @TempDir
    Path temp;

    /** 3 encoder blocks, 2 decoder blocks, 4 heads of 6, d_model 16. */
    private T5ForConditionalGeneration t5(NDManager manager) throws Exception {
        T5Config config = new T5Config(40, 16, 6, 20, 3, 2, 4, 8, 20, 1e-6, "relu", false, 0, 0, 1);
        Path dir = temp.resolve("t5-" + System.nanoTime());
        TinyT5Checkpoints.write(dir, config, 7);
        return T5Models.fromCheckpoint(dir, manager);
    }

    private static NDList inputs(NDManager manager) {
        long[][] ids = {{5, 9, 17, 33, 2, 1}, {30, 3, 12, 1, 0, 0}, {7, 7, 21, 1, 0, 0}};
        long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 0, 0}};
        long[][] decoder = {{0, 7, 21, 4}, {0, 30, 11, 2}, {0, 3, 3, 9}};
        return new NDList(manager.create(ids), manager.create(mask), manager.create(decoder));
    }

    private static PrefixTuningConfig config(boolean projection, int n) {
        PrefixTuningConfig.Builder builder = PrefixTuningConfig.builder().numVirtualTokens(n).taskType("SEQ_2_SEQ_LM");
        return projection ? builder.prefixProjection(8).build() : builder.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void changesTheOutputDisablesToTheBaseSavesAndReloads(boolean projection) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(t5(manager));
            NDList inputs = inputs(manager);
            NDArray base = adapters.forward(inputs).head();
            adapters.addAdapter("a", config(projection, N));
            adapters.setActiveAdapters("a");
            NDArray adapted = adapters.forward(inputs).head();
            assertTrue(adapted.sub(base).abs().max().getFloat() > 1e-3, "the prefix changes the logits");
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertEquals(0, adapters.forward(inputs).head().sub(base).abs().max().getFloat(), 0f,
                        "disabled adapters give the base logits");
            }
            adapters.saveAdapter(temp.resolve("saved"), "a");

            AdapterModel<T5ForConditionalGeneration> fresh = Adapters.init(t5(manager));
            fresh.loadAdapter(temp.resolve("saved").resolve("a"), "a");
            fresh.setActiveAdapters("a");
            assertEquals(0, fresh.forward(inputs).head().sub(adapted).abs().max().getFloat(), 1e-6,
                    "the reloaded adapter gives the same logits");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsReachTheAdapterOnlyAndCountPeftsFormula(boolean projection) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = t5(manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(model);
            adapters.addAdapter("a", config(projection, N));
            adapters.setActiveAdapters("a");
            adapters.trainAdapter("a");
            long table = 2L * 3 * KV; // a block of keys and values per encoder layer, as PEFT counts
            long h = 8;
            long expected = projection ? N * KV + (KV * h + h) + (h * table + table) : N * table;
            assertEquals(expected, adapters.trainableParameters().trainable(), "PEFT's formula");

            Set<Parameter> adapter = Collections.newSetFromMap(new IdentityHashMap<>());
            adapters.attachments().forEach(a -> adapter.addAll(a.parameters("a")));
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(scope, false), inputs(scope), true).head();
                collector.backward(out.square().mean());
            }
            for (Parameter p : adapter) {
                NDArray gradient = p.getArray().getGradient();
                assertTrue(gradient.abs().max().getFloat() > 0, p.getName() + " gets a gradient");
                if (!projection) {
                    // decoder layers 0 and 1 read blocks 0 and 2; block 1 (columns 48..95) is read by none
                    assertEquals(0, gradient.get(":, " + table / 3 + ":" + 2 * table / 3).abs().max().getFloat(),
                            0f, "block 1 of the table is unused, as in PEFT");
                    assertTrue(gradient.get(":, " + 2 * table / 3 + ":").abs().max().getFloat() > 0, "block 2");
                }
            }
            for (Pair<String, Parameter> p : model.getParameters()) {
                assertFalse(adapter.contains(p.getValue()));
                assertFalse(p.getValue().getArray().hasGradient(), p.getKey() + " has no gradient");
            }
        }
    }

    @Test
    void routedRowsGiveWhatEachAdapterGivesAloneInForwardAndGeneration() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = t5(manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(model);
            NDList inputs = inputs(manager);
            NDArray base = adapters.forward(inputs).head();
            adapters.addAdapter("a", config(false, N));
            adapters.addAdapter("b", config(true, 5));
            T5RoutedRows.assertEachRowAsAlone(adapters, manager, inputs, base);
        }
    }

    @Test
    void layoutsPeftCannotRunAreRefusedWithTheReason() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            // more decoder than encoder layers: PEFT's cache has num_layers = encoder layers entries
            Path dir = temp.resolve("deep-decoder");
            TinyT5Checkpoints.write(dir, TinyT5Checkpoints.tiny("relu", true), 3);
            AdapterModel<T5ForConditionalGeneration> deep = Adapters.init(T5Models.fromCheckpoint(dir, manager));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> deep.addAdapter("a", config(false, N)));
            assertTrue(e.getMessage().contains("3 decoder layers") && e.getMessage().contains("2 encoder layers"),
                    e.getMessage());
            assertTrue(deep.adapters().isEmpty(), "nothing half-added");

            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(t5(manager));
            PrefixTuningConfig one = new PrefixTuningConfig(N, null, false, null, null, null, null, 1, null, false,
                    null);
            e = assertThrows(IllegalArgumentException.class, () -> adapters.addAdapter("a", one));
            assertTrue(e.getMessage().contains("num_transformer_submodules 1"), e.getMessage());
            PrefixTuningConfig layers = new PrefixTuningConfig(N, null, false, null, null, 2, null, 2, null, false,
                    null);
            e = assertThrows(IllegalArgumentException.class, () -> adapters.addAdapter("a", layers));
            assertTrue(e.getMessage().contains("num_layers is 2") && e.getMessage().contains("encoder layer count"),
                    e.getMessage());

            Path gpt2 = Path.of(T5PrefixTuningTest.class.getResource("/fixtures/gpt2-tiny/expected.json").toURI())
                    .getParent().resolve("base");
            AdapterModel<?> decoder = Adapters.init(GPT2Models.fromCheckpoint(gpt2, manager));
            PrefixTuningConfig two = new PrefixTuningConfig(N, null, false, null, null, null, null, 2, null, false,
                    null);
            e = assertThrows(IllegalArgumentException.class, () -> decoder.addAdapter("a", two));
            assertTrue(e.getMessage().contains("num_transformer_submodules 2 is for encoder-decoder models"),
                    e.getMessage());
        }
    }
}

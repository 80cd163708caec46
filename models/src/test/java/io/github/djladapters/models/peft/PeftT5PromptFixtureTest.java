package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.t5.T5EncoderModel;
import io.github.djladapters.models.t5.T5ForConditionalGeneration;
import io.github.djladapters.models.t5.T5Models;
import io.github.djladapters.models.t5.T5RoutedRows;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.prompt.PromptEncoderConfig;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
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
 * Prompt tuning and P-tuning adapters that PEFT trained and saved on the tiny T5 of
 * {@code /peft/prompt-learning/t5-base} ({@code SEQ_2_SEQ_LM}, so {@code num_transformer_submodules: 2}
 * and a table of {@code 2n} rows of which the encoder's input gets the first {@code n}; see the
 * README there): loaded, they give PEFT's logits within 1e-4 and its greedy tokens exactly with and
 * without the generation cache; disabled, the base model's logits; saved and loaded again, the same
 * logits; fresh ones have PEFT's trainable count and saved layout, train only the rows the encoder
 * reads, and a batch routed per row gives each row what its adapter gives alone.
 */
class PeftT5PromptFixtureTest {

    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int N = 4;
    private static final int D = 16;

    @ParameterizedTest
    @ValueSource(strings = {"t5-prompt-tuning", "t5-p-tuning-mlp", "t5-p-tuning-lstm"})
    void peftPromptsOnT5ReproducePeftsLogitsAndGreedyTokens(String name, @TempDir Path saved) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode cases = PeftT5PrefixFixtureTest.cases();
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(PeftT5PrefixFixtureTest.base(), manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(t5);
            NDList inputs = inputs(cases, manager);
            NDArray base = adapters.forward(inputs).head();
            assertTrue(difference(fixture.output("base", manager), base) < TOLERANCE, "base logits");

            adapters.loadAdapter(fixture.dir());
            adapters.setActiveAdapters("default");
            NDArray logits = adapters.forward(inputs).head();
            double diff = difference(fixture.output("adapter", manager), logits);
            System.out.println(name + ": max abs logit difference from PEFT " + diff);
            assertTrue(diff < TOLERANCE, name + " differs from PEFT by " + diff);
            assertTrue(difference(base, logits) > 0.1, "the adapter changes the logits");
            assertEquals(N + 6, t5.encode(new ParameterStore(manager, false), inputs.get(0), inputs.get(1))
                    .getShape().get(1), "the encoder output has the virtual positions first");

            List<int[]> peft = fixture.generated("generate_adapter");
            assertTokens(peft, PeftT5PrefixFixtureTest.generate(t5, cases, manager, true), name + " with the cache");
            assertTokens(peft, PeftT5PrefixFixtureTest.generate(t5, cases, manager, false), name + " without the cache");

            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertEquals(0, difference(base, adapters.forward(inputs).head()), 0, "disabled = base");
                assertTokens(fixture.generated("generate_base"),
                        PeftT5PrefixFixtureTest.generate(t5, cases, manager, true), "disabled, generated");
            }

            adapters.saveAdapter(saved);
            AdapterModel<T5ForConditionalGeneration> again = Adapters.init(
                    T5Models.fromCheckpoint(PeftT5PrefixFixtureTest.base(), manager));
            again.loadAdapter(saved);
            again.setActiveAdapters("default");
            assertEquals(0, difference(logits, again.forward(inputs).head()), 0, "saved and loaded again");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray peftTable = PromptLearningFixture.read(fixture.dir().resolve("adapter_model.safetensors"),
                    "prompt_embeddings", manager);
            NDArray ours = PromptLearningFixture.read(saved.resolve("adapter_model.safetensors"),
                    "prompt_embeddings", manager);
            assertEquals(0, difference(peftTable, ours), 0, "all 2n rows saved as PEFT saved them");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5-prompt-tuning", "t5-p-tuning-mlp", "t5-p-tuning-lstm"})
    void freshAdaptersCountAndSaveAsPeftAndTrainOnlyTheRowsTheEncoderReads(String name, @TempDir Path out)
            throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode peftConfig = JSON.readTree(fixture.dir().resolve("adapter_config.json").toFile());
        ObjectNode training = peftConfig.deepCopy();
        training.put("inference_mode", false); // as PEFT's config is before saving
        boolean promptTuning = name.equals("t5-prompt-tuning");
        AdapterConfig config = promptTuning ? JSON.treeToValue(training, PromptTuningConfig.class)
                : JSON.treeToValue(training, PromptEncoderConfig.class);
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(PeftT5PrefixFixtureTest.base(), manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(t5);
            adapters.addAdapter("default", config);
            adapters.setActiveAdapters("default");
            adapters.trainAdapter("default");
            assertEquals(fixture.record().get("checks").get("peft_trainable_params").asLong(),
                    adapters.trainableParameters().trainable(), "PEFT's trainable count");
            if (promptTuning) {
                assertEquals(2L * N * D, adapters.trainableParameters().trainable(), "2 n token_dim");
            }

            Set<Parameter> adapter = Collections.newSetFromMap(new IdentityHashMap<>());
            adapters.attachments().forEach(a -> adapter.addAll(a.parameters("default")));
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = t5.forward(new ParameterStore(scope, false),
                        inputs(PeftT5PrefixFixtureTest.cases(), scope), true).head();
                collector.backward(logits.square().mean());
            }
            for (Parameter p : adapter) {
                NDArray gradient = p.getArray().getGradient();
                if (p.getName().equals("embedding")) {
                    assertTrue(gradient.get("0:" + N).abs().max().getFloat() > 0, "the rows the encoder reads");
                    if (!name.endsWith("lstm")) {
                        // the bidirectional LSTM mixes every row into the first n outputs; elsewhere row i is row i
                        assertEquals(0, gradient.get(N + ":").abs().max().getFloat(), 0f,
                                "the second half of the table reaches nothing, as in PEFT");
                    } else {
                        assertTrue(gradient.get(N + ":").abs().max().getFloat() > 0, "the LSTM reads all rows");
                    }
                }
            }
            for (Pair<String, Parameter> p : t5.getParameters()) {
                if (!adapter.contains(p.getValue())) {
                    assertFalse(p.getValue().getArray().hasGradient(), p.getKey() + " has no gradient");
                }
            }
            adapters.baseModelNameOrPath("../t5-base").saveAdapter(out);
        }
        try (SafetensorsFile peft = SafetensorsFile.open(fixture.dir().resolve("adapter_model.safetensors"));
                SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(peft.tensors().keySet(), ours.tensors().keySet());
            assertEquals(peft.tensors().get("prompt_embeddings").shape(), ours.tensors().get("prompt_embeddings").shape());
        }
        JsonNode ourConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
        peftConfig.fieldNames().forEachRemaining(key -> {
            if (!key.equals("peft_version")) {
                assertEquals(peftConfig.get(key), ourConfig.get(key), key);
            }
        });
    }

    @Test
    void repeatedForwardsAndGenerationsLeaveTheArrayCountsWhereTheyWere() throws Exception {
        PeftT5PrefixFixtureTest.assertArrayCountsStayFlat("t5-prompt-tuning", "t5-p-tuning-lstm", 100, false);
    }

    @Test
    void routedRowsGiveWhatEachAdapterGivesAloneInForwardAndGeneration() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = T5Models.fromCheckpoint(PeftT5PrefixFixtureTest.base(), manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(model);
            long[][] ids = {{5, 9, 17, 33, 2, 1}, {30, 3, 12, 1, 0, 0}, {7, 7, 21, 1, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 0, 0}};
            long[][] decoder = {{0, 7, 21, 4}, {0, 30, 11, 2}, {0, 3, 3, 9}};
            NDList inputs = new NDList(manager.create(ids), manager.create(mask), manager.create(decoder));
            NDArray base = adapters.forward(inputs).head();
            adapters.loadAdapter(PromptLearningFixture.open("t5-prompt-tuning").dir(), "a");
            adapters.loadAdapter(PromptLearningFixture.open("t5-p-tuning-lstm").dir(), "b");
            T5RoutedRows.assertEachRowAsAlone(adapters, manager, inputs, base);
        }
    }

    @Test
    void peftPromptTuningOnTheT5EncoderAloneReproducesPeftsHiddenStates() throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open("t5-encoder-prompt-tuning");
        JsonNode cases = PeftT5PrefixFixtureTest.cases();
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<T5EncoderModel> adapters = Adapters.init(
                    T5Models.encoderFromCheckpoint(PeftT5PrefixFixtureTest.base(), manager));
            NDList inputs = new NDList(PromptLearningFixture.ids(cases.get("input_ids"), manager),
                    PromptLearningFixture.ids(cases.get("attention_mask"), manager));
            assertTrue(difference(fixture.output("base", manager), adapters.forward(inputs).head()) < TOLERANCE);
            adapters.loadAdapter(fixture.dir());
            adapters.setActiveAdapters("default");
            double diff = difference(fixture.output("adapter", manager), adapters.forward(inputs).head());
            assertTrue(diff < TOLERANCE, "differs from PEFT's last_hidden_state [2, n + 6, 16] by " + diff);
            assertEquals(fixture.record().get("checks").get("peft_trainable_params").asLong(), (long) N * D,
                    "one submodule: n rows");
        }
    }

    @Test
    void submodulesThatDoNotFitTheModelAreRefused() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<T5ForConditionalGeneration> t5 = Adapters.init(
                    T5Models.fromCheckpoint(PeftT5PrefixFixtureTest.base(), manager));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t5.addAdapter("x",
                    PromptTuningConfig.builder().numVirtualTokens(N).numTransformerSubmodules(3).build()));
            assertTrue(e.getMessage().contains("num_transformer_submodules must be 1 or 2, got 3"), e.getMessage());
            // one submodule: a table of n rows, all before the encoder's input
            t5.addAdapter("one", PromptTuningConfig.builder().numVirtualTokens(N).numTransformerSubmodules(1).build());
            t5.trainAdapter("one");
            assertEquals((long) N * D, t5.trainableParameters().trainable());
        }
    }

    private static NDList inputs(JsonNode cases, NDManager manager) {
        return new NDList(PromptLearningFixture.ids(cases.get("input_ids"), manager),
                PromptLearningFixture.ids(cases.get("attention_mask"), manager),
                PromptLearningFixture.ids(cases.get("decoder_input_ids"), manager));
    }

    private static double difference(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        return expected.sub(actual).abs().max().getFloat();
    }

    private static void assertTokens(List<int[]> expected, List<int[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ", input " + i);
        }
    }
}

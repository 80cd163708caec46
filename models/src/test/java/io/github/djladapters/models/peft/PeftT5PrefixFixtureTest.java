package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Seq2SeqGenerator;
import io.github.djladapters.models.t5.T5ForConditionalGeneration;
import io.github.djladapters.models.t5.T5Models;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prefix tuning adapters that PEFT trained and saved on a tiny T5 ({@code SEQ_2_SEQ_LM},
 * {@code num_transformer_submodules: 2}; see {@code /peft/prompt-learning/README.md}) load through
 * {@code loadAdapter} and give PEFT's logits within 1e-4 and its greedy tokens exactly, with and
 * without the generation cache; the encoder output does not change, as in PEFT; an adapter we save
 * has PEFT's tensor, shape and config keys.
 */
class PeftT5PrefixFixtureTest {

    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"t5-prefix-tuning", "t5-prefix-projection"})
    void peftPrefixOnT5ReproducesPeftsLogitsAndGreedyTokens(String name) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode cases = cases();
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(base(), manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(t5);
            NDList inputs = new NDList(PromptLearningFixture.ids(cases.get("input_ids"), manager),
                    PromptLearningFixture.ids(cases.get("attention_mask"), manager),
                    PromptLearningFixture.ids(cases.get("decoder_input_ids"), manager));
            NDArray baseLogits = adapters.forward(inputs).head();
            assertTrue(difference(fixture.output("base", manager), baseLogits) < TOLERANCE, "base logits");
            NDArray baseEncoded = encode(t5, inputs, manager);
            assertTokens(fixture.generated("generate_base"), generate(t5, cases, manager, true), "base");

            adapters.loadAdapter(fixture.dir());
            adapters.setActiveAdapters("default");
            double diff = difference(fixture.output("adapter", manager), adapters.forward(inputs).head());
            System.out.println(name + ": max abs logit difference from PEFT " + diff);
            assertTrue(diff < TOLERANCE, name + " differs from PEFT by " + diff);
            assertEquals(0, encode(t5, inputs, manager).sub(baseEncoded).abs().max().getFloat(), 0f,
                    "the encoder takes no prefix");

            List<int[]> peft = fixture.generated("generate_adapter");
            assertTokens(peft, generate(t5, cases, manager, true), name + " with the cache");
            assertTokens(peft, generate(t5, cases, manager, false), name + " without the cache");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5-prefix-tuning", "t5-prefix-projection"})
    void anAdapterWeSaveOnT5HasPeftsTensorShapeAndConfig(String name, @TempDir Path out) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode peftConfig = JSON.readTree(fixture.dir().resolve("adapter_config.json").toFile());
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(T5Models.fromCheckpoint(base(), manager));
            ObjectNode training = peftConfig.deepCopy();
            training.put("inference_mode", false); // as PEFT's config is before saving
            adapters.addAdapter("default", JSON.treeToValue(training, PrefixTuningConfig.class));
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
        assertArrayCountsStayFlat("t5-prefix-tuning", "t5-prefix-projection", 30, true);
    }

    /**
     * Loads two PEFT fixtures on the tiny T5 as "a" and "b", then checks that rounds of a plain and a
     * row-routed forward and a routed greedy generation (and an uncached one when asked) leave the
     * model's and the caller's array counts where they were after a warm-up round.
     */
    static void assertArrayCountsStayFlat(String first, String second, int rounds, boolean uncachedToo)
            throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = T5Models.fromCheckpoint(base(), manager);
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(model);
            adapters.loadAdapter(PromptLearningFixture.open(first).dir(), "a");
            adapters.loadAdapter(PromptLearningFixture.open(second).dir(), "b");
            adapters.setActiveAdapters("a");
            long[][] ids = {{5, 9, 17, 33, 2, 1}, {30, 3, 12, 1, 0, 0}, {7, 7, 21, 1, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 0, 0}};
            long[][] decoder = {{0, 7, 21, 4}, {0, 30, 11, 2}, {0, 3, 3, 9}};
            List<int[]> prompts = List.of(new int[] {5, 9, 17, 33, 2, 1}, new int[] {30, 3, 12, 1}, new int[] {7, 21});
            Seq2SeqGenerator generator = new Seq2SeqGenerator(model);
            Runnable round = () -> {
                try (NDManager scope = caller.newSubManager()) {
                    NDList inputs = new NDList(scope.create(ids), scope.create(mask), scope.create(decoder));
                    adapters.forward(inputs);
                    adapters.forward(inputs, List.of("b", "", "a"));
                }
                try (AdapterModel.RowAdapters routed = adapters.routeRows(List.of("a", "", "b"), caller)) {
                    generator.generate(caller, prompts, GenerationConfig.greedy(4));
                    if (uncachedToo) {
                        generator.generate(caller, prompts, GenerationConfig.greedy(4).withCache(false));
                    }
                }
            };
            ArrayCounts.assertFlatOver(rounds, round, manager, caller);
        }
    }

    static Path base() throws Exception {
        return PromptLearningFixture.root().resolve("t5-base");
    }

    static JsonNode cases() throws Exception {
        return JSON.readTree(PromptLearningFixture.root().resolve("t5-cases.json").toFile()).get("t5");
    }

    private static NDArray encode(T5ForConditionalGeneration t5, NDList inputs, NDManager manager) {
        return t5.encode(new ParameterStore(manager, false), inputs.get(0), inputs.get(1));
    }

    /** The encoder inputs without their padding, generated together (the generator pads them again). */
    static List<int[]> generate(T5ForConditionalGeneration t5, JsonNode cases, NDManager manager, boolean cache) {
        List<int[]> inputs = new ArrayList<>();
        for (int row = 0; row < cases.get("input_ids").size(); row++) {
            JsonNode ids = cases.get("input_ids").get(row);
            JsonNode mask = cases.get("attention_mask").get(row);
            List<Integer> kept = new ArrayList<>();
            for (int t = 0; t < ids.size(); t++) {
                if (mask.get(t).asInt() == 1) {
                    kept.add(ids.get(t).asInt());
                }
            }
            inputs.add(kept.stream().mapToInt(Integer::intValue).toArray());
        }
        return new Seq2SeqGenerator(t5).generate(manager, inputs,
                GenerationConfig.greedy(cases.get("max_new_tokens").asInt()).withCache(cache));
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

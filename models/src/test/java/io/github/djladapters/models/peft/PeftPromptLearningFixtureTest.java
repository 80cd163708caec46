package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.virtualtokens.PromptEmbeddingsKey;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.prompt.PromptEncoderConfig;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.methods.virtualtokens.PromptEmbeddingsKey;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prompt tuning, P-tuning and prefix tuning adapters trained and saved by Hugging Face PEFT (see
 * {@code /peft/prompt-learning/README.md}) load through {@code loadAdapter} and reproduce PEFT's
 * outputs within 1e-4: all-MiniLM-L6-v2's {@code last_hidden_state} (virtual positions first, as
 * PEFT returns them) and the tiny GPT-2's and Llama's logits on a right-padded batch, and PEFT's
 * greedy generations token for token, with and without the generation cache.
 */
class PeftPromptLearningFixtureTest {

    private static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path cacheDir;

    private static NDManager manager;
    private static AdapterModel<BertModel> minilm;

    @BeforeAll
    static void loadMiniLm() throws Exception {
        manager = NDManager.newBaseManager();
        minilm = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-prompt-tuning", "bert-prompt-tuning-text", "bert-p-tuning-mlp",
        "bert-p-tuning-lstm", "bert-prefix-tuning", "bert-prefix-projection"})
    void peftAdapterOnMiniLmReproducesPeftsHiddenStates(String name) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode cases = fixture.inputs(true);
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = new NDList(PromptLearningFixture.ids(cases.get("input_ids"), scope),
                    PromptLearningFixture.ids(cases.get("attention_mask"), scope),
                    PromptLearningFixture.ids(cases.get("token_type_ids"), scope));
            NDArray base;
            try (AdapterModel.DisabledScope off = minilm.disableAdapters()) {
                base = minilm.forward(inputs).head();
            }
            assertTrue(PromptLearningFixture.maxDifference(fixture.output("base", scope), base,
                    cases.get("attention_mask"), 0) < TOLERANCE, "base output");
            minilm.loadAdapter(fixture.dir(), name);
            try {
                minilm.setActiveAdapters(name);
                NDArray adapted = minilm.forward(inputs).head();
                NDArray expected = fixture.output("adapter", scope);
                long leading = expected.getShape().get(1) - base.getShape().get(1);
                double diff = PromptLearningFixture.maxDifference(expected, adapted, cases.get("attention_mask"),
                        leading);
                System.out.println(name + ": max abs difference from PEFT " + diff);
                assertTrue(diff < TOLERANCE, name + " differs from PEFT by " + diff);
                try (AdapterModel.DisabledScope off = minilm.disableAdapters()) {
                    assertEquals(0, base.sub(minilm.forward(inputs).head()).abs().max().getFloat(), 0f,
                            "disabled adapters give the base output");
                }
            } finally {
                minilm.deleteAdapter(name);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-prompt-tuning", "gpt2-p-tuning-mlp", "gpt2-p-tuning-lstm", "gpt2-prefix-tuning",
        "gpt2-prefix-projection", "llama-prompt-tuning", "llama-p-tuning-mlp", "llama-prefix-tuning",
        "llama-prefix-projection"})
    void peftAdapterOnTinyDecoderReproducesPeftsLogitsAndGreedyTokens(String name) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        JsonNode cases = fixture.inputs(false);
        String model = name.substring(0, name.indexOf('-'));
        try (NDManager scope = manager.newSubManager()) {
            Path base = PromptLearningFixture.decoderBase(model);
            CausalLanguageModel decoder = model.equals("gpt2")
                    ? GPT2Models.fromCheckpoint(base, scope) : LlamaModels.fromCheckpoint(base, scope);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(decoder);
            Generator generator = new Generator(decoder);
            assertTokens(fixture.generated("generate_base"), generate(generator, fixture, scope, true), "base");

            adapters.loadAdapter(fixture.dir());
            adapters.setActiveAdapters("default");
            NDList inputs = new NDList(PromptLearningFixture.ids(cases.get("input_ids"), scope),
                    PromptLearningFixture.ids(cases.get("attention_mask"), scope));
            NDArray logits = adapters.forward(inputs).head();
            NDArray expected = fixture.output("adapter", scope);
            long leading = expected.getShape().get(1) - inputs.head().getShape().get(1);
            double diff = PromptLearningFixture.maxDifference(expected, logits, cases.get("attention_mask"), leading);
            System.out.println(name + ": max abs logit difference from PEFT " + diff);
            assertTrue(diff < TOLERANCE, name + " differs from PEFT by " + diff);

            List<int[]> peft = fixture.generated("generate_adapter");
            assertTokens(peft, generate(generator, fixture, scope, true), name + " with the cache");
            assertTokens(peft, generate(generator, fixture, scope, false), name + " without the cache");
        }
    }

    private static void assertTokens(List<int[]> expected, List<int[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ", prompt " + i);
        }
    }

    @Test
    void textInitialisationThroughTheModelsTokenizerGivesPeftsTable() throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open("bert-prompt-tuning-text");
        AllMiniLmL6V2.tokenizer(cacheDir, 128).close(); // extracts tokenizer.json into the cache folder
        Path tokenizer = cacheDir.resolve("tokenizer.json");
        minilm.addAdapter("text", PromptTuningConfig.builder().numVirtualTokens(10)
                .initText(fixture.record().get("init_text").asText(), tokenizer).build());
        try (NDManager scope = manager.newSubManager()) {
            NDArray ours = minilm.adapterTensors("text", scope).get(PromptEmbeddingsKey.MODEL_KEY);
            NDArray peft = PromptLearningFixture.read(fixture.dir().resolve("adapter_model.safetensors"),
                    "prompt_embeddings", scope);
            assertEquals(0, ours.sub(peft).abs().max().getFloat(), 0f, "the word embeddings of PEFT's token ids");
        } finally {
            minilm.deleteAdapter("text");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-prompt-tuning", "gpt2-p-tuning-mlp", "gpt2-prefix-projection", "llama-prefix-tuning"})
    void anAdapterWeSaveHasPeftsTensorKeyShapeAndConfigKeys(String name, @TempDir Path out) throws Exception {
        PromptLearningFixture fixture = PromptLearningFixture.open(name);
        String model = name.substring(0, name.indexOf('-'));
        JsonNode peftConfig = JSON.readTree(fixture.dir().resolve("adapter_config.json").toFile());
        try (NDManager scope = manager.newSubManager()) {
            Path base = PromptLearningFixture.decoderBase(model);
            CausalLanguageModel decoder = model.equals("gpt2")
                    ? GPT2Models.fromCheckpoint(base, scope) : LlamaModels.fromCheckpoint(base, scope);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(decoder);
            ObjectNode training = peftConfig.deepCopy();
            training.put("inference_mode", false); // as PEFT's config is before saving: the encoder is trained
            adapters.addAdapter("default", JSON.treeToValue(training, configType(peftConfig)));
            adapters.baseModelNameOrPath("../base").saveAdapter(out);
        }
        try (SafetensorsFile peft = SafetensorsFile.open(fixture.dir().resolve("adapter_model.safetensors"));
                SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(peft.tensors().keySet(), ours.tensors().keySet());
            assertEquals(peft.tensors().get("prompt_embeddings").shape(), ours.tensors().get("prompt_embeddings").shape());
            assertEquals(peft.metadata(), ours.metadata());
        }
        JsonNode ourConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(fieldNames(peftConfig), fieldNames(ourConfig));
        peftConfig.fieldNames().forEachRemaining(key -> {
            if (!key.equals("peft_version")) {
                assertEquals(peftConfig.get(key), ourConfig.get(key), key);
            }
        });
    }

    private static Class<? extends AdapterConfig> configType(JsonNode config) {
        return switch (config.get("peft_type").asText()) {
            case "PROMPT_TUNING" -> PromptTuningConfig.class;
            case "P_TUNING" -> PromptEncoderConfig.class;
            default -> PrefixTuningConfig.class;
        };
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<int[]> generate(Generator generator, PromptLearningFixture fixture, NDManager scope,
            boolean cache) {
        return fixture.generatePrompts().stream()
                .map(prompt -> generator.generate(scope, List.of(prompt),
                        GenerationConfig.greedy(8).withCache(cache)).get(0))
                .toList();
    }
}

package io.github.djladapters.models.adaptionprompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TransformersFixture;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.adaptionprompt.AdaptionPromptConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LLaMA-Adapter adaption prompts on the tiny Llama (grouped-query attention, rotary embeddings) and
 * the tiny GPT-2 (fused q/k/v): PEFT's adapters ({@code fixtures/adaption-prompt}, made by PEFT 0.21
 * with {@code generate.py} there) reproduce PEFT's logits and greedy tokens; a new adapter is the
 * base model; the key/value cache changes nothing; switching adapters is exact; only prompts and
 * gates train.
 */
class AdaptionPromptTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static CausalLanguageModel base(String name, NDManager manager) throws Exception {
        Path dir = TransformersFixture.open(name).base();
        return name.startsWith("gpt2") ? GPT2Models.fromCheckpoint(dir, manager) : LlamaModels.fromCheckpoint(dir, manager);
    }

    private static TransformersFixture peft(String name) throws Exception {
        return TransformersFixture.open("adaption-prompt/" + name);
    }

    private static Path peftAdapter(String name) throws Exception {
        return peft(name).base().getParent();
    }

    private static float[] logits(CausalLanguageModel model, NDManager manager, int[] prompt) {
        try (NDManager scope = manager.newSubManager()) {
            long[] ids = new long[prompt.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = prompt[i];
            }
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            return model.forward(new ParameterStore(scope, false), new NDList(input), false).head().toFloatArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void peftAdaptionPromptReproducesPeftLogitsAndGreedyTokens(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.loadAdapter(peftAdapter(name), "peft");
            adapters.setActiveAdapters("peft");
            TransformersFixture fixture = peft(name);
            double worst = fixture.maxLogitDifference(model, manager, "adapter_logits");
            System.out.println(name + " adaption prompt logits max abs diff vs PEFT: " + worst);
            assertTrue(worst < 1e-4, "logits differ from PEFT's by " + worst);
            List<int[]> prompts = fixture.prompts();
            Generator generator = new Generator(model);
            for (int i = 0; i < prompts.size(); i++) {
                int[] tokens = generator.generate(manager, List.of(prompts.get(i)), GenerationConfig.greedy(8)).get(0);
                assertArrayEquals(fixture.generated("generate_adapter", i), tokens, "case " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void aNewAdapterIsTheBaseModelAndDisablingGivesTheBaseBack(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            int[] prompt = peft(name).prompts().get(0);
            float[] base = logits(model, manager, prompt);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.addAdapter("fresh", new AdaptionPromptConfig(4, 2, null));
            adapters.setActiveAdapters("fresh");
            assertArrayEquals(base, logits(model, manager, prompt), 0f, "zero gates: exactly the base model");
            adapters.loadAdapter(peftAdapter(name), "peft");
            adapters.setActiveAdapters("peft");
            assertNotEquals(0, maxDiff(base, logits(model, manager, prompt)));
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertArrayEquals(base, logits(model, manager, prompt), 0f);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void cachedGenerationEqualsFullRecomputation(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.loadAdapter(peftAdapter(name), "peft");
            adapters.setActiveAdapters("peft");
            for (int[] prompt : peft(name).prompts()) {
                int[] cached = new Generator(model).generate(manager, List.of(prompt), GenerationConfig.greedy(8)).get(0);
                List<Integer> sequence = new ArrayList<>();
                for (int token : prompt) {
                    sequence.add(token);
                }
                for (int step = 0; step < 8; step++) {
                    int[] ids = sequence.stream().mapToInt(Integer::intValue).toArray();
                    float[] all = logits(model, manager, ids);
                    int vocab = all.length / ids.length;
                    int best = 0;
                    for (int v = 1; v < vocab; v++) {
                        best = all[(ids.length - 1) * vocab + v] > all[(ids.length - 1) * vocab + best] ? v : best;
                    }
                    assertEquals(cached[step], best, "step " + step);
                    sequence.add(best);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void switchingAToBToAReturnsAsOutputsBitForBit(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.loadAdapter(peftAdapter(name), "a");
            adapters.loadAdapter(peftAdapter(name), "b");
            Map<String, NDArray> tensors = adapters.adapterTensors("b", manager);
            tensors.replaceAll((key, value) -> key.endsWith("adaption_gate") ? value.mul(-3f) : value);
            adapters.loadAdapterTensors("b", tensors);
            int[] prompt = peft(name).prompts().get(2);
            adapters.setActiveAdapters("a");
            float[] first = logits(model, manager, prompt);
            adapters.setActiveAdapters("b");
            float[] other = logits(model, manager, prompt);
            adapters.setActiveAdapters("a");
            assertArrayEquals(first, logits(model, manager, prompt), 0f);
            assertTrue(maxDiff(first, other) > 1e-2, "b differs from a");
            adapters.deleteAdapter("b");
            assertArrayEquals(first, logits(model, manager, prompt), 0f, "deleting b leaves a as it was");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void savedInPeftsLayoutAndReloadedExactly(String name, @TempDir Path out) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.loadAdapter(peftAdapter(name), "peft");
            adapters.setActiveAdapters("peft");
            int[] prompt = peft(name).prompts().get(1);
            float[] expected = logits(model, manager, prompt);
            adapters.saveAdapterFolder("peft", out);
            CausalLanguageModel fresh = base(name, manager);
            AdapterModel<CausalLanguageModel> reloaded = Adapters.init(fresh);
            reloaded.loadAdapter(out, "again");
            reloaded.setActiveAdapters("again");
            assertArrayEquals(expected, logits(fresh, manager, prompt), 0f);
        }
        try (SafetensorsFile theirs = SafetensorsFile.open(peftAdapter(name).resolve("adapter_model.safetensors"));
                SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(theirs.tensors().keySet(), ours.tensors().keySet());
        }
        JsonNode theirs = JSON.readTree(peftAdapter(name).resolve("adapter_config.json").toFile());
        JsonNode ours = JSON.readTree(out.resolve("adapter_config.json").toFile());
        TreeSet<String> theirKeys = new TreeSet<>();
        theirs.fieldNames().forEachRemaining(theirKeys::add);
        TreeSet<String> ourKeys = new TreeSet<>();
        ours.fieldNames().forEachRemaining(ourKeys::add);
        assertEquals(theirKeys, ourKeys);
        for (String key : List.of("peft_type", "adapter_len", "adapter_layers", "target_modules")) {
            assertEquals(theirs.get(key), ours.get(key), key);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny"})
    void onlyPromptsAndGatesTrainAndTheirCountFollowsTheFormula(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = base(name, manager);
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(model);
            adapters.addAdapter("train", new AdaptionPromptConfig(6, 2, null));
            adapters.trainAdapter("train");
            long hidden = 64;
            // layers x (adapter_len x hidden + 1 gate)
            assertEquals(2 * (6 * hidden + 1), adapters.trainableParameters().trainable());
            Map<String, NDArray> tensors = adapters.adapterTensors("train", manager);
            tensors.replaceAll((key, value) -> key.endsWith("adaption_gate") ? value.add(0.5f) : value);
            adapters.loadAdapterTensors("train", tensors);
            List<Parameter> adapterParameters = new ArrayList<>();
            List<Parameter> frozen = new ArrayList<>();
            for (Parameter p : model.getParameters().values()) {
                (p.requiresGradient() ? adapterParameters : frozen).add(p);
            }
            assertTrue(adapterParameters.isEmpty(), "the prompts are not children of the model's blocks");
            int[] prompt = peft(name).prompts().get(0);
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                long[] ids = new long[prompt.length];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = prompt[i];
                }
                NDArray logits = model.forward(new ParameterStore(scope, false),
                        new NDList(scope.create(ids, new Shape(1, ids.length))), true).head();
                collector.backward(logits.square().mean());
            }
            int withGradient = 0;
            for (io.github.djladapters.runtime.methods.AdapterAttachment attachment : adapters.attachments()) {
                for (Parameter p : attachment.parameters("train")) {
                    double norm = p.getArray().getGradient().abs().sum().getFloat();
                    assertTrue(norm > 0, p.getName() + " at " + attachment.modulePath() + " has no gradient");
                    withGradient++;
                }
            }
            assertEquals(4, withGradient, "a prompt and a gate in each of 2 layers");
            for (Parameter p : frozen) {
                assertTrue(!p.getArray().hasGradient() || p.getArray().getGradient().abs().sum().getFloat() == 0,
                        p.getName() + " is frozen but got a gradient");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny"})
    void badConfigsAreRefusedBeforeAnythingChanges(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<CausalLanguageModel> adapters = Adapters.init(base(name, manager));
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                    () -> adapters.addAdapter("x", new AdaptionPromptConfig(4, 3, null)));
            assertTrue(tooMany.getMessage().contains("more than the model's 2 layers"), tooMany.getMessage());
            IllegalArgumentException wrongName = assertThrows(IllegalArgumentException.class,
                    () -> adapters.addAdapter("x", new AdaptionPromptConfig(4, 1, "attn_q")));
            assertTrue(wrongName.getMessage().contains("does not name the self-attention"), wrongName.getMessage());
            assertThrows(IllegalArgumentException.class, () -> adapters.addAdapter("x", new AdaptionPromptConfig(0, 1, null)));
            assertTrue(adapters.adapters().isEmpty());
            assertTrue(adapters.attachments().isEmpty());
        }
    }

    private static double maxDiff(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}

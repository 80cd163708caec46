package io.github.djladapters.models.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.prompt.PromptEncoderConfig;
import io.github.djladapters.runtime.methods.prompt.PromptEncoderReparameterization;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every adapter method must show, for prompt tuning, P-tuning (MLP and LSTM) and prefix tuning
 * (with and without projection) on an encoder (a tiny BERT) and two decoders (the tiny GPT-2 and
 * the tiny grouped-query Llama of the PEFT fixtures): a new adapter changes the output (none of these
 * methods has an identity initialisation, as in PEFT); {@code disableAdapters} gives the base output;
 * save and load into a fresh model gives identical outputs; gradients reach the adapter's
 * parameters only; {@code printTrainableParameters} counts the formula of the method; cached
 * generation gives the uncached tokens; a row routed to the base model in a mixed batch gives the
 * base output.
 */
class PromptLearningMethodsTest {

    private static final int N = 5;
    private static final int HIDDEN = 8;

    /** The models, with their width {@code d}, layers {@code L} and key/value width {@code kv}. */
    enum Arch {
        BERT(16, 2, 16), GPT2(64, 2, 64), LLAMA(64, 2, 32);

        final int d;
        final int layers;
        final int kv;

        Arch(int d, int layers, int kv) {
            this.d = d;
            this.layers = layers;
            this.kv = kv;
        }
    }

    /** The methods, each with its config and its trainable-parameter formula. */
    enum Method {
        PROMPT_TUNING, P_TUNING_MLP, P_TUNING_LSTM, PREFIX_TUNING, PREFIX_PROJECTION;

        AdapterConfig config() {
            return switch (this) {
                case PROMPT_TUNING -> PromptTuningConfig.builder().numVirtualTokens(N).build();
                case P_TUNING_MLP -> PromptEncoderConfig.builder().numVirtualTokens(N).encoderHiddenSize(HIDDEN).build();
                case P_TUNING_LSTM -> PromptEncoderConfig.builder().numVirtualTokens(N).encoderHiddenSize(HIDDEN)
                        .reparameterization(PromptEncoderReparameterization.LSTM).build();
                case PREFIX_TUNING -> PrefixTuningConfig.builder().numVirtualTokens(N).build();
                case PREFIX_PROJECTION -> PrefixTuningConfig.builder().numVirtualTokens(N).prefixProjection(HIDDEN)
                        .build();
            };
        }

        /**
         * The trainable parameters, with {@code n} virtual tokens, width {@code d}, encoder hidden size
         * {@code h}, {@code L} layers and key/value width {@code kv}:
         * <ul>
         *   <li>prompt tuning: {@code n d}</li>
         *   <li>P-tuning MLP: {@code n d + (d h + h) + (h h + h) + (h d + d)}</li>
         *   <li>P-tuning LSTM (2 bidirectional layers): {@code n d + 2 (4h d + 4h h + 8h) + 2 (4h 2h + 4h h + 8h)
         *       + (2h 2h + 2h) + (2h d + d)}</li>
         *   <li>prefix tuning: {@code n 2 L kv}</li>
         *   <li>prefix projection: {@code n kv + (kv h + h) + (h 2 L kv + 2 L kv)}</li>
         * </ul>
         */
        long trainable(Arch a) {
            long n = N;
            long h = HIDDEN;
            long d = a.d;
            long kv = a.kv;
            long two = 2L * a.layers * kv;
            return switch (this) {
                case PROMPT_TUNING -> n * d;
                case P_TUNING_MLP -> n * d + (d * h + h) + (h * h + h) + (h * d + d);
                case P_TUNING_LSTM -> n * d + 2 * (4 * h * d + 4 * h * h + 8 * h) + 2 * (4 * h * 2 * h + 4 * h * h + 8 * h)
                        + (2 * h * 2 * h + 2 * h) + (2 * h * d + d);
                case PREFIX_TUNING -> n * two;
                case PREFIX_PROJECTION -> n * kv + (kv * h + h) + (h * two + two);
            };
        }

        /** How many positions the output has before the real tokens. */
        long leading() {
            return this == PREFIX_TUNING || this == PREFIX_PROJECTION ? 0 : N;
        }
    }

    @TempDir
    Path temp;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Arch arch : Arch.values()) {
            for (Method method : Method.values()) {
                cases.add(Arguments.of(arch, method));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void changesTheOutputDisablesToTheBaseAndCountsItsFormula(Arch arch, Method method) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<Block> adapters = Adapters.init(load(arch, manager));
            NDList inputs = inputs(arch, manager);
            NDArray base = adapters.forward(inputs).head();
            adapters.addAdapter("a", method.config());
            adapters.setActiveAdapters("a");
            NDArray adapted = adapters.forward(inputs).head();
            assertEquals(base.getShape().get(1) + method.leading(), adapted.getShape().get(1), "output length");
            double change = maxDifference(real(adapted, method.leading()), base, inputs.get(1));
            assertTrue(change > 1e-3, "the adapter changes the output: " + change);
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertEquals(0, maxDifference(adapters.forward(inputs).head(), base, inputs.get(1)), 0,
                        "disabled adapters give the base output");
            }
            adapters.trainAdapter("a");
            long all = adapters.trainableParameters().all();
            assertEquals(method.trainable(arch), adapters.trainableParameters().trainable(), "formula");
            assertEquals(String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f",
                    method.trainable(arch), all, 100.0 * method.trainable(arch) / all),
                    adapters.printTrainableParameters());
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void saveThenLoadIntoAFreshModelGivesIdenticalOutputs(Arch arch, Method method) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<Block> adapters = Adapters.init(load(arch, manager));
            adapters.addAdapter("a", method.config());
            adapters.setActiveAdapters("a");
            NDList inputs = inputs(arch, manager);
            NDArray before = adapters.forward(inputs).head();
            adapters.saveAdapter(temp, "a");

            AdapterModel<Block> fresh = Adapters.init(load(arch, manager));
            fresh.loadAdapter(temp.resolve("a"), "a");
            fresh.setActiveAdapters("a");
            NDArray after = fresh.forward(inputs).head();
            assertEquals(before.getShape(), after.getShape());
            double diff = before.sub(after).abs().max().getFloat();
            assertTrue(diff < 1e-6, "reloaded output differs by " + diff);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientsReachOnlyTheAdaptersParameters(Arch arch, Method method) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = load(arch, manager);
            AdapterModel<Block> adapters = Adapters.init(model);
            adapters.addAdapter("a", method.config());
            adapters.setActiveAdapters("a");
            adapters.trainAdapter("a");
            Set<Parameter> adapter = Collections.newSetFromMap(new IdentityHashMap<>());
            adapters.attachments().forEach(a -> adapter.addAll(a.parameters("a")));
            assertFalse(adapter.isEmpty());
            NDList inputs = inputs(arch, manager);
            try (NDManager scope = manager.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
                collector.backward(out.square().mean());
            }
            for (Parameter p : adapter) {
                assertTrue(p.requiresGradient(), p.getName());
                assertTrue(p.getArray().getGradient().abs().max().getFloat() > 0, p.getName() + " gets a gradient");
            }
            for (Pair<String, Parameter> p : model.getParameters()) {
                if (!adapter.contains(p.getValue())) {
                    assertFalse(p.getValue().requiresGradient(), p.getKey() + " is frozen");
                    assertFalse(p.getValue().getArray().hasGradient(), p.getKey() + " has no gradient");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aRowRoutedToTheBaseModelGivesTheBaseOutput(Arch arch, Method method) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<Block> adapters = Adapters.init(load(arch, manager));
            NDList inputs = inputs(arch, manager);
            NDArray base = adapters.forward(inputs).head();
            adapters.addAdapter("a", method.config());
            adapters.setActiveAdapters("a");
            NDArray alone = adapters.forward(inputs).head();
            List<String> rows = new ArrayList<>(Collections.nCopies((int) base.getShape().get(0), "a"));
            rows.set(1, "");
            NDArray mixed = adapters.forward(inputs, rows).head();
            NDArray realMixed = real(mixed, method.leading());
            assertTrue(maxDifference(realMixed.get("1:2"), base.get("1:2"), inputs.get(1).get("1:2")) < 1e-5,
                    "the base row");
            assertTrue(maxDifference(mixed.get("0:1"), alone.get("0:1"), null) < 1e-5, "an adapter row");
        }
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void cachedGenerationGivesTheUncachedTokensOnGpt2AndLlama(Method method) throws Exception {
        for (Arch arch : List.of(Arch.GPT2, Arch.LLAMA)) {
            try (NDManager manager = NDManager.newBaseManager()) {
                CausalLanguageModel model = (CausalLanguageModel) load(arch, manager);
                AdapterModel<Block> adapters = Adapters.init(model);
                adapters.addAdapter("a", method.config());
                adapters.setActiveAdapters("a");
                List<int[]> prompts = List.of(new int[] {1, 5, 17, 33, 9}, new int[] {1, 20}, new int[] {3, 7, 7});
                Generator generator = new Generator(model);
                List<int[]> cached = generator.generate(manager, prompts, GenerationConfig.greedy(8));
                List<int[]> uncached = generator.generate(manager, prompts, GenerationConfig.greedy(8).withCache(false));
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(uncached.get(i), cached.get(i), arch + " prompt " + i);
                    int[] alone = generator.generate(manager, List.of(prompts.get(i)), GenerationConfig.greedy(8)).get(0);
                    assertArrayEquals(alone, cached.get(i), arch + " prompt " + i + " alone and left-padded");
                }
            }
        }
    }

    private Block load(Arch arch, NDManager manager) throws Exception {
        return switch (arch) {
            case BERT -> {
                BertConfig config = TinyCheckpoints.tinyBert();
                Path dir = temp.resolve("bert-" + System.nanoTime());
                TinyCheckpoints.write(dir, config, TinyCheckpoints.shapes(config),
                        TinyCheckpoints.randomWeights(TinyCheckpoints.shapes(config), 5), TensorDType.F32, 1, "");
                yield BertModels.fromCheckpoint(dir, manager);
            }
            case GPT2 -> GPT2Models.fromCheckpoint(decoder("gpt2"), manager);
            case LLAMA -> LlamaModels.fromCheckpoint(decoder("llama"), manager);
        };
    }

    private static Path decoder(String name) throws Exception {
        return Path.of(PromptLearningMethodsTest.class.getResource("/fixtures/" + name + "-tiny/expected.json").toURI())
                .getParent().resolve("base");
    }

    /** A right-padded batch of three: ids, mask (and zero token types for BERT). */
    private static NDList inputs(Arch arch, NDManager manager) {
        if (arch == Arch.BERT) {
            long[][][] batch = TinyCheckpoints.paddedBatch(TinyCheckpoints.tinyBert(), 3);
            return new NDList(manager.create(batch[0]), manager.create(batch[1]), manager.create(batch[2]).zerosLike());
        }
        long[][] ids = {{1, 5, 17, 33, 9, 64}, {1, 20, 21, 0, 0, 0}, {3, 7, 7, 90, 0, 0}};
        long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 0, 0}};
        return new NDList(manager.create(ids), manager.create(mask));
    }

    /** The output at the real tokens' positions. */
    private static NDArray real(NDArray out, long leading) {
        return out.get(":, " + leading + ":, :");
    }

    /** The largest difference over the positions the mask marks as tokens (all when null). */
    private static double maxDifference(NDArray a, NDArray b, NDArray mask) {
        NDArray diff = a.sub(b).abs();
        if (mask != null) {
            diff = diff.mul(mask.toType(diff.getDataType(), false).expandDims(-1));
        }
        return diff.max().getFloat();
    }
}

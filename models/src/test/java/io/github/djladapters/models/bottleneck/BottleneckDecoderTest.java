package io.github.djladapters.models.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.DecoderForCausalLM;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.bottleneck.AdapterPlusConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bottleneck adapters on the tiny pre-LN decoders (GPT-2 with Conv1D projections, Llama; hidden 32,
 * 2 layers), cached generation included.
 */
class BottleneckDecoderTest {

    private static final long[][] IDS = {{1, 7, 9, 3, 12}, {4, 4, 18, 2, 30}};

    /** A tiny decoder checkpoint: its config, weight seed, loader and the module path of layer 0. */
    enum Decoder {
        GPT2(TinyDecoderCheckpoints.tinyGpt2(), 21, "transformer.h.0"),
        LLAMA(TinyDecoderCheckpoints.tinyLlama("llama", false), 22, "model.layers.0");

        final Object config;
        final long seed;
        final String firstLayer;

        Decoder(Object config, long seed, String firstLayer) {
            this.config = config;
            this.seed = seed;
            this.firstLayer = firstLayer;
        }

        int layers() {
            return config instanceof GPT2Config gpt2 ? gpt2.nLayer() : ((LlamaConfig) config).numHiddenLayers();
        }

        int vocabSize() {
            return config instanceof GPT2Config gpt2 ? gpt2.vocabSize() : ((LlamaConfig) config).vocabSize();
        }

        void write(Path checkpoint) throws Exception {
            if (config instanceof GPT2Config gpt2) {
                var shapes = TinyDecoderCheckpoints.shapes(gpt2);
                TinyDecoderCheckpoints.write(checkpoint, gpt2.toJson(), shapes,
                        TinyDecoderCheckpoints.randomWeights(shapes, seed, 0.3));
            } else {
                LlamaConfig llama = (LlamaConfig) config;
                var shapes = TinyDecoderCheckpoints.shapes(llama);
                TinyDecoderCheckpoints.write(checkpoint, llama.toJson(), shapes,
                        TinyDecoderCheckpoints.randomWeights(shapes, seed, 0.3));
            }
        }

        DecoderForCausalLM<?> load(Path checkpoint, NDManager manager) throws Exception {
            return this == GPT2 ? GPT2Models.fromCheckpoint(checkpoint, manager)
                    : LlamaModels.fromCheckpoint(checkpoint, manager);
        }

        /** This decoder with adapter support, loaded from its checkpoint under {@code dir} (written on first use). */
        AdapterModel<DecoderForCausalLM<?>> adapted(Path dir, NDManager manager) throws Exception {
            Path checkpoint = dir.resolve(name());
            if (!Files.exists(checkpoint)) {
                write(checkpoint);
            }
            return Adapters.init(load(checkpoint, manager));
        }
    }

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private AdapterModel<DecoderForCausalLM<?>> model(Decoder decoder) throws Exception {
        return decoder.adapted(dir, manager);
    }

    private float[] logits(AdapterModel<DecoderForCausalLM<?>> peft) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(IDS))).head().toFloatArray();
        }
    }

    private static void perturb(AdapterModel<?> peft, String name, NDManager manager) {
        Engine.getInstance().setRandomSeed(4);
        Map<String, NDArray> random = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) -> random.put(key,
                manager.randomUniform(-0.3f, 0.3f, value.getShape()).add(key.endsWith("scaling") ? 1f : 0f)));
        peft.loadAdapterTensors(name, random);
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void identityAtMamInitThenTrainedAdapterSavesLoadsAndGenerates(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        float[] base = logits(peft);
        long all = peft.trainableParameters().all();
        peft.addAdapter("bn", SeqBnConfig.builder().reductionFactor(8).initWeights("mam_adapter").build());
        peft.trainAdapter("bn");
        assertArrayEquals(base, logits(peft), "zero up projection: exactly the base");
        // Pfeiffer: one place per layer, down H*d + d and up d*H + H, H = 32, d = 32 // 8 = 4
        long formula = decoder.layers() * (2L * 32 * 4 + 4 + 32);
        String line = peft.printTrainableParameters();
        assertTrue(line.startsWith(String.format("trainable params: %,d || all params: %,d", formula, all + formula)),
                line);
        assertTrue(peft.adapterTensors("bn", manager).containsKey(
                "base_model.model." + decoder.firstLayer + ".output_adapters.adapter_up.weight"),
                peft.adapterTensors("bn", manager).keySet().toString());

        perturb(peft, "bn", manager);
        float[] trained = logits(peft);
        assertTrue(maxDiff(base, trained) > 1e-2);
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, logits(peft));
        }
        peft.saveAdapter(dir.resolve("saved"));
        AdapterModel<DecoderForCausalLM<?>> fresh = model(decoder);
        fresh.loadAdapter(dir.resolve("saved").resolve("bn"), "bn");
        fresh.setActiveAdapters("bn");
        assertArrayEquals(trained, logits(fresh));

        // cached generation equals recomputing the whole sequence each step
        List<int[]> cached = new Generator(fresh.model()).generate(manager, List.of(new int[] {1, 7, 9}),
                GenerationConfig.greedy(6));
        assertArrayEquals(uncachedGreedy(fresh, new long[] {1, 7, 9}, 6, decoder.vocabSize()), cached.get(0));
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void adapterPlusSkipsTheResidualAfterTheAdapterOnAPreLnModel(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        float[] base = logits(peft);
        peft.addAdapter("plus", AdapterPlusConfig.builder().reductionFactor(8).initWeights("mam_adapter").build());
        peft.setActiveAdapters("plus");
        // original_ln_after = false: the adapter returns out - x and the layer adds x back, the base up to rounding
        assertArrayEquals(base, logits(peft), 1e-4f);
        perturb(peft, "plus", manager);
        assertTrue(maxDiff(base, logits(peft)) > 1e-2);
    }

    private static int[] uncachedGreedy(AdapterModel<DecoderForCausalLM<?>> peft, long[] prompt, int steps,
            int vocabSize) {
        long[] ids = prompt.clone();
        int[] generated = new int[steps];
        for (int s = 0; s < steps; s++) {
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray out = peft.model().forward(new ParameterStore(scope, false),
                        new NDList(scope.create(new long[][] {ids})), false).head();
                long vocab = out.getShape().get(2);
                int next = (int) out.get(0, ids.length - 1).argMax().getLong();
                assertEquals(vocabSize, vocab);
                generated[s] = next;
                long[] longer = java.util.Arrays.copyOf(ids, ids.length + 1);
                longer[ids.length] = next;
                ids = longer;
            }
        }
        return generated;
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

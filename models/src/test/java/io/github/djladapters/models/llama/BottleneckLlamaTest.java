package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bottleneck adapters on a tiny Llama (pre-LN, hidden 32, 2 layers), generation with the cache included. */
class BottleneckLlamaTest {

    private static final LlamaConfig CONFIG = TinyDecoderCheckpoints.tinyLlama("llama", false);
    private static final long[][] IDS = {{1, 7, 9, 3, 12}, {4, 4, 18, 2, 30}};

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

    private AdapterModel<LlamaForCausalLM> model() throws Exception {
        Path checkpoint = dir.resolve("llama");
        if (!Files.exists(checkpoint)) {
            var shapes = TinyDecoderCheckpoints.shapes(CONFIG);
            TinyDecoderCheckpoints.write(checkpoint, CONFIG.toJson(), shapes,
                    TinyDecoderCheckpoints.randomWeights(shapes, 22, 0.3));
        }
        return Adapters.init(LlamaModels.fromCheckpoint(checkpoint, manager));
    }

    private float[] logits(AdapterModel<LlamaForCausalLM> peft) {
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

    @Test
    void identityAtMamInitThenTrainedAdapterSavesLoadsAndGenerates() throws Exception {
        AdapterModel<LlamaForCausalLM> peft = model();
        float[] base = logits(peft);
        long all = peft.trainableParameters().all();
        peft.addAdapter("bn", SeqBnConfig.builder().reductionFactor(8).initWeights("mam_adapter").build());
        peft.trainAdapter("bn");
        assertArrayEquals(base, logits(peft), "zero up projection: exactly the base");
        // Pfeiffer: one place per layer, down H*d + d and up d*H + H, H = 32, d = 32 // 8 = 4
        long formula = CONFIG.numHiddenLayers() * (2L * 32 * 4 + 4 + 32);
        String line = peft.printTrainableParameters();
        assertTrue(line.startsWith(String.format("trainable params: %,d || all params: %,d", formula, all + formula)),
                line);
        assertTrue(peft.adapterTensors("bn", manager).containsKey(
                "base_model.model.model.layers.0.output_adapters.adapter_up.weight"),
                peft.adapterTensors("bn", manager).keySet().toString());

        perturb(peft, "bn", manager);
        float[] trained = logits(peft);
        assertTrue(maxDiff(base, trained) > 1e-2);
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, logits(peft));
        }
        peft.saveAdapter(dir.resolve("saved"));
        AdapterModel<LlamaForCausalLM> fresh = model();
        fresh.loadAdapter(dir.resolve("saved").resolve("bn"), "bn");
        fresh.setActiveAdapters("bn");
        assertArrayEquals(trained, logits(fresh));

        // cached generation equals recomputing the whole sequence each step
        List<int[]> cached = new Generator(fresh.model()).generate(manager, List.of(new int[] {1, 7, 9}),
                GenerationConfig.greedy(6));
        assertArrayEquals(uncachedGreedy(fresh, new long[] {1, 7, 9}, 6), cached.get(0));
    }

    @Test
    void adapterPlusSkipsTheResidualAfterTheAdapterOnAPreLnModel() throws Exception {
        AdapterModel<LlamaForCausalLM> peft = model();
        float[] base = logits(peft);
        peft.addAdapter("plus", AdapterPlusConfig.builder().reductionFactor(8).initWeights("mam_adapter").build());
        peft.setActiveAdapters("plus");
        // original_ln_after = false: the adapter returns out - x and the layer adds x back, the base up to rounding
        assertArrayEquals(base, logits(peft), 1e-4f);
        perturb(peft, "plus", manager);
        assertTrue(maxDiff(base, logits(peft)) > 1e-2);
    }

    private static int[] uncachedGreedy(AdapterModel<LlamaForCausalLM> peft, long[] prompt, int steps) {
        long[] ids = prompt.clone();
        int[] generated = new int[steps];
        for (int s = 0; s < steps; s++) {
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray out = peft.model().forward(new ParameterStore(scope, false),
                        new NDList(scope.create(new long[][] {ids})), false).head();
                long vocab = out.getShape().get(2);
                int next = (int) out.get(0, ids.length - 1).argMax().getLong();
                assertEquals(CONFIG.vocabSize(), vocab);
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

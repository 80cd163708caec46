package io.github.djladapters.models.t5;

import static io.github.djladapters.models.t5.T5Arrays.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.models.t5.ReferenceT5.Positions;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated DSL bindings of T5: {@link T5ForConditionalGeneration} binds the decoder blocks with
 * their cross-attention, {@link T5EncoderModel} the encoder blocks, under Hugging Face module
 * paths. A LoRA on {@code q} and {@code v} added through {@code Adapters.init} reaches the encoder
 * self-attention, the decoder self-attention and the cross-attention, gives the logits of the
 * reference run on merged weights {@code W + (alpha / r) B A}, and merges exactly.
 */
class T5AdapterBindingsTest {

    private static final int RANK = 2;
    private static final int ALPHA = 4;

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static T5Config config;
    private static Map<String, float[]> weights;

    @BeforeAll
    static void write() throws Exception {
        manager = NDManager.newBaseManager();
        config = TinyT5Checkpoints.tiny("gated-gelu", false);
        weights = TinyT5Checkpoints.write(dir, config, 61);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void declarationsBindDecoderAndEncoderBlocksUnderHuggingFacePaths() throws Exception {
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(dir, manager);
        assertEquals(TinyT5Checkpoints.shapes(config).keySet(), ParameterNames.of(t5).keySet(),
                "parameter names are the checkpoint's keys, one to one");
        AdapterModel<T5ForConditionalGeneration> peft = Adapters.init(t5);
        assertEquals(config.numDecoderLayers(), peft.layerCount());
        assertTrue(peft.sites().containsAll(EnumSet.of(Site.SELF_ATTENTION, Site.CROSS_ATTENTION, Site.CROSS_Q_PROJ,
                Site.CROSS_K_PROJ, Site.CROSS_V_PROJ, Site.CROSS_O_PROJ, Site.PRE_SELF_ATTENTION,
                Site.PRE_CROSS_ATTENTION, Site.PRE_FFN)), "sites " + peft.sites());
        assertEquals("shared", peft.embeddingsPath());
        assertEquals("decoder.block.0.layer.1.EncDecAttention.q", peft.modulePath(0, Site.CROSS_Q_PROJ));
        assertEquals("decoder.block.2.layer.1.EncDecAttention.o", peft.modulePath(2, Site.CROSS_O_PROJ));
        assertEquals("decoder.block.1.layer.1.EncDecAttention", peft.modulePath(1, Site.CROSS_ATTENTION));
        assertEquals("decoder.block.1.layer.1.layer_norm", peft.modulePath(1, Site.PRE_CROSS_ATTENTION));
        assertEquals("decoder.block.1.layer.0.SelfAttention.v", peft.modulePath(1, Site.V_PROJ));
        assertEquals("decoder.block.1.layer.0.layer_norm", peft.modulePath(1, Site.PRE_SELF_ATTENTION));
        assertEquals("decoder.block.1.layer.2.layer_norm", peft.modulePath(1, Site.PRE_FFN));
        assertEquals("decoder.block.1.layer.2.DenseReluDense.wi_1", peft.modulePath(1, Site.INTERMEDIATE_PROJ));
        assertEquals("decoder.block.1.layer.2.DenseReluDense.wo", peft.modulePath(1, Site.OUTPUT_PROJ));

        AdapterModel<T5EncoderModel> encoder = Adapters.init(T5Models.encoderFromCheckpoint(dir, manager));
        assertEquals(config.numLayers(), encoder.layerCount());
        assertFalse(encoder.sites().contains(Site.CROSS_ATTENTION));
        assertEquals("encoder.block.1.layer.0.SelfAttention.q", encoder.modulePath(1, Site.Q_PROJ));
        assertEquals("encoder.block.0.layer.1.DenseReluDense.wo", encoder.modulePath(0, Site.OUTPUT_PROJ));
    }

    @Test
    void loraOnQAndVReachesEncoderDecoderAndCrossAttentionAndMergesExactly() throws Exception {
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(dir, manager);
        AdapterModel<T5ForConditionalGeneration> peft = Adapters.init(t5);
        float[][] baseLogits = logits(peft);
        float[][] baseEncoded = encoded(t5);
        peft.addAdapter("qv", LoRAConfig.builder().r(RANK).loraAlpha(ALPHA).targetModules("q", "v").build());
        peft.setActiveAdapters("qv");
        Set<String> expected = new TreeSet<>();
        for (int l = 0; l < config.numLayers(); l++) {
            expected.add("encoder.block." + l + ".layer.0.SelfAttention.q");
            expected.add("encoder.block." + l + ".layer.0.SelfAttention.v");
        }
        for (int l = 0; l < config.numDecoderLayers(); l++) {
            for (String module : new String[] {"0.SelfAttention.", "1.EncDecAttention."}) {
                expected.add("decoder.block." + l + ".layer." + module + "q");
                expected.add("decoder.block." + l + ".layer." + module + "v");
            }
        }
        Map<String, NDArray> tensors = peft.adapterTensors("qv", manager);
        assertEquals(expected, modulesOf(tensors));
        assertEquals(0, maxDiff(baseLogits, logits(peft)), 1e-6, "lora_B = 0 leaves the model unchanged");

        Map<String, float[]> merged = randomizeB(peft, "qv", tensors, 62);
        float[][] adapted = logits(peft);
        ReferenceT5 reference = new ReferenceT5(config, merged, Positions.T5);
        float[][] expectedLogits = reference.logits(T5MatchesReferenceTest.DECODER,
                reference.encode(T5MatchesReferenceTest.INPUT));
        double toReference = maxDiff(adapted, expectedLogits);
        double change = maxDiff(adapted, baseLogits);
        double encoderChange = maxDiff(encoded(t5), baseEncoded);
        peft.mergeAdapter("qv");
        double mergedDiff = maxDiff(adapted, logits(peft));
        System.out.printf("T5 LoRA q,v: change %.2e (encoder %.2e), vs reference on merged weights %.2e,"
                + " merged vs unmerged %.2e%n", change, encoderChange, toReference, mergedDiff);
        assertTrue(change > 1e-3, "the LoRA changes the logits: " + change);
        assertTrue(encoderChange > 1e-3, "the LoRA reaches the encoder: " + encoderChange);
        assertTrue(toReference < 1e-4, "logits equal the reference on W + (alpha/r) B A: " + toReference);
        assertTrue(mergedDiff < 1e-4, "merged equals unmerged: " + mergedDiff);
    }

    @Test
    void crossAttentionLoraChangesLogitsButNotTheEncoder() throws Exception {
        T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(dir, manager);
        AdapterModel<T5ForConditionalGeneration> peft = Adapters.init(t5);
        float[][] baseLogits = logits(peft);
        float[][] baseEncoded = encoded(t5);
        peft.addAdapter("cross", LoRAConfig.builder().r(RANK).loraAlpha(ALPHA)
                .targetModules("EncDecAttention.q", "EncDecAttention.k", "EncDecAttention.v").build());
        peft.setActiveAdapters("cross");
        Map<String, NDArray> tensors = peft.adapterTensors("cross", manager);
        assertEquals(3 * config.numDecoderLayers(), modulesOf(tensors).size());
        assertTrue(modulesOf(tensors).stream().allMatch(m -> m.matches("decoder\\.block\\.\\d\\.layer\\.1\\.EncDecAttention\\.[qkv]")),
                modulesOf(tensors).toString());
        randomizeB(peft, "cross", tensors, 63);
        float[][] adapted = logits(peft);
        assertEquals(0, maxDiff(baseEncoded, encoded(t5)), 0, "the encoder is untouched");
        assertTrue(maxDiff(adapted, baseLogits) > 1e-3, "cross-attention LoRA changes the logits");
        peft.mergeAdapter("cross");
        double mergedDiff = maxDiff(adapted, logits(peft));
        System.out.printf("T5 cross-attention LoRA merged vs unmerged %.2e%n", mergedDiff);
        assertTrue(mergedDiff < 1e-4, "merged equals unmerged: " + mergedDiff);
    }

    @Test
    void roleBasedLoraTargetsTheDeclaredBlocks() throws Exception {
        AdapterModel<T5ForConditionalGeneration> decoder = Adapters.init(T5Models.fromCheckpoint(dir, manager));
        decoder.addAdapter("roles", LoRAConfig.builder().r(RANK).build());
        Set<String> decoderModules = modulesOf(decoder.adapterTensors("roles", manager));
        assertEquals(2 * config.numDecoderLayers(), decoderModules.size());
        assertTrue(decoderModules.stream().allMatch(m -> m.matches("decoder\\.block\\.\\d\\.layer\\.0\\.SelfAttention\\.[qv]")),
                decoderModules.toString());
        AdapterModel<T5EncoderModel> encoder = Adapters.init(T5Models.encoderFromCheckpoint(dir, manager));
        encoder.addAdapter("roles", LoRAConfig.builder().r(RANK).build());
        Set<String> encoderModules = modulesOf(encoder.adapterTensors("roles", manager));
        assertEquals(2 * config.numLayers(), encoderModules.size());
        assertTrue(encoderModules.stream().allMatch(m -> m.matches("encoder\\.block\\.\\d\\.layer\\.0\\.SelfAttention\\.[qv]")),
                encoderModules.toString());
    }

    /** Sets every lora_B to seeded random values and returns the reference weights with {@code W + s B A}. */
    private static Map<String, float[]> randomizeB(AdapterModel<?> peft, String name, Map<String, NDArray> tensors,
            long seed) {
        Random random = new Random(seed);
        Map<String, NDArray> updated = new LinkedHashMap<>(tensors);
        Map<String, float[]> merged = new LinkedHashMap<>(weights);
        for (String module : modulesOf(tensors)) {
            String prefix = "base_model.model." + module;
            NDArray a = tensors.get(prefix + ".lora_A.weight");
            NDArray b = tensors.get(prefix + ".lora_B.weight");
            float[] bValues = new float[(int) b.size()];
            for (int i = 0; i < bValues.length; i++) {
                bValues[i] = (float) (0.3 * random.nextGaussian());
            }
            updated.put(prefix + ".lora_B.weight", manager.create(bValues, b.getShape()));
            float[] aValues = a.toFloatArray();
            float[] w = weights.get(module + ".weight").clone();
            int out = (int) b.getShape().get(0);
            int in = (int) a.getShape().get(1);
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double delta = 0;
                    for (int r = 0; r < RANK; r++) {
                        delta += (double) bValues[o * RANK + r] * aValues[r * in + i];
                    }
                    w[o * in + i] += (float) (ALPHA / (double) RANK * delta);
                }
            }
            merged.put(module + ".weight", w);
        }
        peft.loadAdapterTensors(name, updated);
        return merged;
    }

    private static Set<String> modulesOf(Map<String, NDArray> tensors) {
        Set<String> modules = new TreeSet<>();
        for (String key : tensors.keySet()) {
            modules.add(key.replaceFirst("^base_model\\.model\\.", "").replaceFirst("\\.lora_[AB]\\.weight$", ""));
        }
        return modules;
    }

    private static float[][] logits(AdapterModel<T5ForConditionalGeneration> peft) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray ids = T5Arrays.ids(scope, T5MatchesReferenceTest.INPUT);
            NDArray logits = peft.forward(new NDList(ids, ids.onesLike(),
                    T5Arrays.ids(scope, T5MatchesReferenceTest.DECODER))).head();
            return rows(logits);
        }
    }

    private static float[][] encoded(T5ForConditionalGeneration t5) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray ids = T5Arrays.ids(scope, T5MatchesReferenceTest.INPUT);
            return rows(t5.encode(new ParameterStore(scope, false), ids, ids.onesLike()));
        }
    }

    private static float[][] rows(NDArray array) {
        int t = (int) array.getShape().get(1);
        int d = (int) array.getShape().get(2);
        float[] values = array.toFloatArray();
        float[][] out = new float[t][d];
        for (int i = 0; i < t; i++) {
            System.arraycopy(values, i * d, out[i], 0, d);
        }
        return out;
    }
}

package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.llama.ReferenceLlama.HeadMapping;
import io.github.djladapters.models.llama.ReferenceLlama.Rotary;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random Llama-family checkpoints written in Hugging Face layout give the logits of an
 * independent plain-Java forward pass; a wrong GQA head mapping or a wrong rotary layout would not.
 */
class LlamaMatchesReferenceTest {

    private static final int[] IDS = {1, 7, 33, 12, 45, 3, 3, 19, 28, 40, 5};

    @TempDir
    static Path dir;

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void groupedQueryAttentionAndRotaryMatchReference() throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        Map<String, float[]> weights = write(config, "llama", 11);
        float[][] ours = ourLogits(dir.resolve("llama"));
        double exact = maxDiff(ours, new ReferenceLlama(config, weights, HeadMapping.GROUPED, Rotary.ROTATE_HALF).logits(IDS));
        System.out.println("tiny llama vs plain-Java reference: max abs diff " + exact);
        assertTrue(exact < 1e-4, "max abs diff " + exact);
    }

    @Test
    void permutedKeyValueHeadMappingGivesOtherLogits() throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        Map<String, float[]> weights = write(config, "gqa", 12);
        float[][] ours = ourLogits(dir.resolve("gqa"));
        double wrong = maxDiff(ours, new ReferenceLlama(config, weights, HeadMapping.ROUND_ROBIN, Rotary.ROTATE_HALF).logits(IDS));
        assertTrue(wrong > 1e-2, "query head h must use key/value head h / groups, not h % kvHeads; diff " + wrong);
    }

    @Test
    void interleavedOrMissingRotaryGivesOtherLogits() throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        Map<String, float[]> weights = write(config, "rope", 13);
        float[][] ours = ourLogits(dir.resolve("rope"));
        double interleaved = maxDiff(ours, new ReferenceLlama(config, weights, HeadMapping.GROUPED, Rotary.INTERLEAVED).logits(IDS));
        double none = maxDiff(ours, new ReferenceLlama(config, weights, HeadMapping.GROUPED, Rotary.NONE).logits(IDS));
        assertTrue(interleaved > 1e-2, "rotate-half layout, not interleaved pairs; diff " + interleaved);
        assertTrue(none > 1e-2, "rotary embeddings must be applied; diff " + none);
    }

    @Test
    void qwen2BiasesAndTiedHeadMatchReference() throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("qwen2", true);
        Map<String, float[]> weights = write(config, "qwen2", 14);
        LlamaForCausalLM model = LlamaModels.fromCheckpoint(dir.resolve("qwen2"), manager);
        assertTrue(model.config().qkvBias());
        assertNull(model.lm_head, "tied: logits come from embed_tokens");
        double diff = maxDiff(ourLogits(dir.resolve("qwen2")),
                new ReferenceLlama(config, weights, HeadMapping.GROUPED, Rotary.ROTATE_HALF).logits(IDS));
        assertTrue(diff < 1e-4, "max abs diff " + diff);
    }

    @Test
    void mistralConfigReadsAsLlama() throws Exception {
        LlamaConfig config = LlamaConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"model_type\":\"mistral\",\"hidden_size\":32,\"num_attention_heads\":4,\"num_key_value_heads\":1,"
                        + "\"rope_theta\":1000000.0,\"sliding_window\":null,\"vocab_size\":50,\"eos_token_id\":[2,7]}"));
        assertEquals(8, config.headDim());
        assertEquals(1_000_000.0, config.ropeTheta());
        assertEquals(1, config.numKeyValueHeads());
        assertEquals(java.util.Set.of(2, 7), config.eosTokenIds());
        assertTrue(!config.qkvBias() && !config.tieWordEmbeddings());
    }

    private static Map<String, float[]> write(LlamaConfig config, String name, long seed) throws Exception {
        Map<String, Shape> shapes = TinyDecoderCheckpoints.shapes(config);
        Map<String, float[]> weights = TinyDecoderCheckpoints.randomWeights(shapes, seed, 0.3);
        TinyDecoderCheckpoints.write(dir.resolve(name), config.toJson(), shapes, weights);
        return weights;
    }

    private static float[][] ourLogits(Path checkpoint) throws Exception {
        try (NDManager scope = manager.newSubManager()) {
            LlamaForCausalLM model = LlamaModels.fromCheckpoint(checkpoint, scope);
            long[] ids = new long[IDS.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = IDS[i];
            }
            NDArray logits = model.forward(new ParameterStore(scope, false),
                    new NDList(scope.create(ids, new Shape(1, ids.length))), false).head();
            int vocab = model.vocabSize();
            float[] flat = logits.toFloatArray();
            float[][] out = new float[IDS.length][vocab];
            for (int t = 0; t < IDS.length; t++) {
                System.arraycopy(flat, t * vocab, out[t], 0, vocab);
            }
            return out;
        }
    }

    private static double maxDiff(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return worst;
    }
}

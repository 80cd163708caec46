package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Seq2SeqGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * T5 follows transformers 5.x on the three shapes a T5 checkpoint comes in (fixtures written by
 * transformers 5.17, see {@code fixtures/t5-tie/README.md}): original T5 (tied head, scaled decoder
 * output), FLAN-T5 as on the Hub ({@code tie_word_embeddings: false}, own head) and FLAN-T5 re-saved
 * by transformers 5.x ({@code tie_word_embeddings: true}, {@code scale_decoder_outputs: false}, and
 * its own {@code lm_head.weight}, which must not be dropped).
 */
class T5TieSemanticsTest {

    @ParameterizedTest
    @ValueSource(strings = {"t5-original", "flan-hub", "flan-resaved"})
    void logitsAndGreedyTokensMatchTransformers(String name) throws Exception {
        Path dir = Path.of(T5TieSemanticsTest.class.getResource("/fixtures/t5-tie/" + name + "/expected.json").toURI())
                .getParent();
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = T5Models.fromCheckpoint(dir, manager);
            assertEquals(expected.get("lm_head_is_shared").asBoolean(), model.config().tieWordEmbeddings(), "tied head");
            assertEquals(expected.get("scale_decoder_outputs").asBoolean(), model.config().scaleDecoderOutputs(),
                    "scaled decoder output");
            long[][] ids = longs(expected.get("input_ids"));
            long[][] mask = longs(expected.get("attention_mask"));
            long[][] decoder = longs(expected.get("decoder_input_ids"));
            float[] theirs = floats(expected.get("logits"));
            try (NDManager scope = manager.newSubManager()) {
                ParameterStore ps = new ParameterStore(scope, false);
                NDArray encoderMask = scope.create(mask);
                NDArray encoded = model.encode(ps, scope.create(ids), encoderMask);
                float[] ours = model.decoderLogits(ps, scope.create(decoder), encoded, encoderMask, null, false)
                        .toFloatArray();
                assertEquals(theirs.length, ours.length);
                double worst = 0;
                for (int i = 0; i < ours.length; i++) {
                    worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
                }
                assertTrue(worst < 1e-4, name + ": max |logits - transformers| = " + worst);
            }
            List<int[]> prompts = new ArrayList<>();
            for (int row = 0; row < ids.length; row++) {
                int length = (int) Arrays.stream(mask[row]).sum();
                prompts.add(Arrays.stream(ids[row]).limit(length).mapToInt(v -> (int) v).toArray());
            }
            List<int[]> generated = new Seq2SeqGenerator(model).generate(manager, prompts, GenerationConfig.greedy(6));
            JsonNode tokens = expected.get("generated");
            for (int row = 0; row < prompts.size(); row++) {
                int[] want = new int[tokens.get(row).size() - 1]; // transformers includes the start token
                for (int i = 0; i < want.length; i++) {
                    want[i] = tokens.get(row).get(i + 1).asInt();
                }
                assertArrayEquals(want, generated.get(row), name + ": greedy tokens of row " + row);
            }
        }
    }

    private static long[][] longs(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asLong();
            }
        }
        return out;
    }

    private static float[] floats(JsonNode nested) {
        List<Float> values = new ArrayList<>();
        collect(nested, values);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void collect(JsonNode node, List<Float> into) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, into));
        } else {
            into.add((float) node.asDouble());
        }
    }
}

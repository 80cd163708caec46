package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.kernels.TorchKernels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The block forward of a tiny Llama with grouped-query attention (4 heads over 2 key/value heads)
 * gives the same logits (within 1e-5) and greedy tokens with the attention as query rows per
 * key/value head as with {@code enable_gqa} ({@link TorchKernels#setGroupedQueryRows}).
 */
class LlamaGroupedQueryRowsTest {

    private static final List<int[]> PROMPTS = List.of(
            new int[] {1, 17, 4}, new int[] {1, 9, 30, 22, 41, 8, 13}, new int[] {1, 5, 6, 40, 2});

    @TempDir
    Path dir;

    @AfterEach
    void switchBack() {
        TorchKernels.setGroupedQueryRows(true);
        LlamaDecodeStep.setEnabled(true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void queryRowsGiveTheEnableGqaLogitsAndTokens(String type) throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama(type, false);
        assertTrue(config.numKeyValueHeads() < config.numAttentionHeads(), "the model groups its query heads");
        var shapes = TinyDecoderCheckpoints.shapes(config);
        TinyDecoderCheckpoints.write(dir, config.toJson(), shapes,
                TinyDecoderCheckpoints.randomWeights(shapes, 41, 0.3));
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = LlamaModels.fromCheckpoint(dir, manager);
            float[] rows = logits(manager, model, true);
            float[] gqa = logits(manager, model, false);
            assertEquals(rows.length, gqa.length);
            double worst = 0;
            for (int i = 0; i < rows.length; i++) {
                worst = Math.max(worst, Math.abs(rows[i] - gqa[i]));
            }
            assertTrue(worst < 1e-5, "logits differ by " + worst);

            LlamaDecodeStep.setEnabled(false); // every step through the blocks
            Generator generator = new Generator(model);
            List<int[]> withRows = generator.generate(manager, PROMPTS, GenerationConfig.greedy(10));
            TorchKernels.setGroupedQueryRows(false);
            List<int[]> withGqa = generator.generate(manager, PROMPTS, GenerationConfig.greedy(10));
            assertEquals(0, model.fusedDecodeSteps());
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(withGqa.get(i), withRows.get(i), "row " + i);
            }
        }
    }

    /** Every position's logits of the left-padded prompts in one block forward, no cache. */
    private static float[] logits(NDManager manager, LlamaForCausalLM model, boolean queryRows) {
        TorchKernels.setGroupedQueryRows(queryRows);
        int longest = PROMPTS.stream().mapToInt(p -> p.length).max().orElseThrow();
        long[] ids = new long[PROMPTS.size() * longest];
        long[] mask = new long[ids.length];
        for (int b = 0; b < PROMPTS.size(); b++) {
            int[] prompt = PROMPTS.get(b);
            for (int t = 0; t < prompt.length; t++) {
                ids[b * longest + longest - prompt.length + t] = prompt[t];
                mask[b * longest + longest - prompt.length + t] = 1;
            }
        }
        try (GradientsOff off = GradientsOff.onThisThread(); NDManager run = manager.newSubManager()) {
            Shape shape = new Shape(PROMPTS.size(), longest);
            NDArray seen = run.create(mask, shape);
            NDArray positions = CausalAttentionMask.positionIds(seen, longest);
            return model.logits(new ParameterStore(run, false), run.create(ids, shape), seen, positions, null, false)
                    .toFloatArray();
        }
    }
}

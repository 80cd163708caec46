package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.runtime.engine.ArrayValues;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weight lists the fused decode step keeps between steps ({@link LlamaDecodeStep}) hold one array
 * of their own (the rotary inverse frequencies) in a sub-manager of the model's, and go when the
 * model's manager closes, when the step is closed, or when the parameters' storage changes.
 */
class LlamaDecodeStepReleaseTest {

    private static final List<int[]> PROMPTS = List.of(new int[] {1, 17, 4}, new int[] {1, 9, 30, 22, 41});

    @TempDir
    Path dir;

    private LlamaForCausalLM tiny(NDManager manager) throws Exception {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
        var shapes = TinyDecoderCheckpoints.shapes(config);
        TinyDecoderCheckpoints.write(dir, config.toJson(), shapes, TinyDecoderCheckpoints.randomWeights(shapes, 31, 0.3));
        return LlamaModels.fromCheckpoint(dir, manager);
    }

    private static LlamaDecodeStep decodeStep(LlamaForCausalLM model) throws ReflectiveOperationException {
        Field field = LlamaForCausalLM.class.getDeclaredField("decodeStep");
        field.setAccessible(true);
        return (LlamaDecodeStep) field.get(model);
    }

    @Test
    void weightListsGoWhenTheModelsManagerCloses() throws Exception {
        LlamaDecodeStep step;
        try (NDManager modelManager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(modelManager);
            step = decodeStep(model);
            int parameters = modelManager.getManagedArrays().size();
            Generator generator = new Generator(model);
            List<int[]> first = generator.generate(caller, PROMPTS, GenerationConfig.greedy(6));
            assertEquals(6, model.fusedDecodeSteps(), "every step ran fused");
            assertTrue(step.keepsWeights());
            assertEquals(parameters + 1, modelManager.getManagedArrays().size(),
                    "the parameters and the kept inverse frequencies");
            List<int[]> second = generator.generate(caller, PROMPTS, GenerationConfig.greedy(6));
            for (int i = 0; i < first.size(); i++) {
                assertArrayEquals(first.get(i), second.get(i));
            }
            assertEquals(parameters + 1, modelManager.getManagedArrays().size(), "the same lists serve again");
        }
        assertFalse(step.keepsWeights(), "closing the model's manager freed the weight lists");
    }

    @Test
    void closingTheStepOrReplacingWeightsFreesTheOldLists() throws Exception {
        try (NDManager modelManager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(modelManager);
            LlamaDecodeStep step = decodeStep(model);
            int parameters = modelManager.getManagedArrays().size();
            Generator generator = new Generator(model);
            generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            step.close();
            assertFalse(step.keepsWeights());
            assertEquals(parameters, modelManager.getManagedArrays().size(), "closing the step freed its array");

            generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            assertTrue(step.keepsWeights(), "the next fused step built the lists again");
            NDArray head = model.lm_head.getParameters().get("weight").getArray();
            NDArray flipped = head.mul(-1f); // joins the head's manager, the model's
            ArrayValues.replace(head, flipped); // new storage behind the same array: the lists are rebuilt
            flipped.close();
            generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            assertEquals(12, model.fusedDecodeSteps());
            assertEquals(parameters + 1, modelManager.getManagedArrays().size(), "one set of lists, the old one freed");
        }
    }

    @Test
    void aStorageSwapAnywhereRebuildsTheListsEvenWhenEveryWeightLooksTheSame() throws Exception {
        try (NDManager modelManager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            LlamaForCausalLM model = tiny(modelManager);
            LlamaDecodeStep step = decodeStep(model);
            Generator generator = new Generator(model);
            List<int[]> first = generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            assertEquals(1, step.weightListBuilds(), "unchanged weights: the same lists serve");

            // a swap whose new tensor could sit at a freed handle's address looks, by object and handle,
            // like no change; the process-wide count of swaps is what tells the step
            NDArray elsewhere = caller.create(new float[] {1, 2, 3});
            ArrayValues.replace(elsewhere, caller.create(new float[] {4, 5, 6}));
            List<int[]> after = generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            assertEquals(2, step.weightListBuilds(), "the count moved: the lists were built again");
            for (int i = 0; i < first.size(); i++) {
                assertArrayEquals(first.get(i), after.get(i));
            }

            NDArray head = model.lm_head.getParameters().get("weight").getArray();
            NDArray flipped = head.mul(-1f);
            ArrayValues.replace(head, flipped);
            flipped.close();
            List<int[]> fused = generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            assertEquals(3, step.weightListBuilds());
            LlamaDecodeStep.setEnabled(false);
            List<int[]> blocks;
            try {
                blocks = generator.generate(caller, PROMPTS, GenerationConfig.greedy(4));
            } finally {
                LlamaDecodeStep.setEnabled(true);
            }
            for (int i = 0; i < fused.size(); i++) {
                assertArrayEquals(blocks.get(i), fused.get(i), "the fused step reads the replaced head");
            }
            assertFalse(java.util.Arrays.equals(first.get(1), fused.get(1)), "the flipped head changes the tokens");
        }
    }
}

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
}

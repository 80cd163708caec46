package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.engine.TransposedStorage;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoders keep their projection weights stored transposed: the layout holds through loading and
 * merging, and changes no number (logits against the same weights in row-major storage, greedy tokens,
 * saved tensors).
 */
class ProjectionLayoutTest {

    private static final List<int[]> PROMPTS = List.of(new int[] {5, 9, 13, 2}, new int[] {7, 2});

    @TempDir Path dir;

    private LlamaForCausalLM load(LlamaConfig config, String name, NDManager manager) throws Exception {
        var shapes = TinyDecoderCheckpoints.shapes(config);
        Map<String, float[]> weights = TinyDecoderCheckpoints.randomWeights(shapes, 31, 0.3);
        TinyDecoderCheckpoints.write(dir.resolve(name), config.toJson(), shapes, weights);
        return LlamaModels.fromCheckpoint(dir.resolve(name), manager);
    }

    private static float[] logits(LlamaForCausalLM model, NDManager manager) {
        NDArray ids = manager.create(new long[] {5, 9, 13, 2, 40, 41}, new Shape(1, 6));
        return model.forward(new ParameterStore(manager, false), new NDList(ids), false).head().toFloatArray();
    }

    private static void restoreRowMajor(LlamaForCausalLM model) {
        for (Pair<String, Parameter> p : model.getParameters()) {
            TransposedStorage.restore(p.getValue().getArray());
        }
    }

    @Test
    void loadedDecoderStoresEveryProjectionAndTheTiedTableTransposed() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM tied = load(TinyDecoderCheckpoints.tinyLlama("llama", true), "tied", manager);
            LlamaForCausalLM untied = load(TinyDecoderCheckpoints.tinyLlama("llama", false), "untied", manager);
            assertEquals(2 * 7 + 1, storedCount(tied)); // q, k, v, o, gate, up, down per layer, and the table
            assertEquals(2 * 7 + 1, storedCount(untied)); // the same projections and lm_head; not the lookup table
            for (Pair<String, Parameter> p : untied.getParameters()) {
                if (p.getKey().contains("embed_tokens")) {
                    assertFalse(TransposedStorage.isStored(p.getValue().getArray()), p.getKey());
                }
            }
        }
    }

    private static int storedCount(LlamaForCausalLM model) {
        int stored = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            stored += TransposedStorage.isStored(p.getValue().getArray()) ? 1 : 0;
        }
        return stored;
    }

    @Test
    void storedAndRowMajorWeightsGiveTheSameLogitsTokensAndSavedTensors() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", true);
            LlamaForCausalLM stored = load(config, "a", manager);
            LlamaForCausalLM plain = load(config, "b", manager);
            restoreRowMajor(plain);
            assertEquals(0, storedCount(plain));
            assertArrayEquals(logits(plain, manager), logits(stored, manager), 1e-5f);
            GenerationConfig greedy = GenerationConfig.greedy(8);
            List<int[]> expected = new Generator(plain).generate(manager, PROMPTS, greedy);
            List<int[]> actual = new Generator(stored).generate(manager, PROMPTS, greedy);
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(expected.get(i), actual.get(i));
            }
            LlamaModels.save(stored, dir.resolve("saved"));
            LlamaForCausalLM reloaded = load(config, "c", manager); // other random weights, then the saved ones
            restoreRowMajor(reloaded);
            LlamaForCausalLM fromSaved = LlamaModels.fromCheckpoint(dir.resolve("saved"), manager);
            assertArrayEquals(logits(plain, manager), logits(fromSaved, manager), 1e-5f);
        }
    }

    @Test
    void mergingLoRAKeepsTheLayoutAndTheOutputs() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = load(TinyDecoderCheckpoints.tinyLlama("llama", false), "lora", manager);
            AdapterModel<LlamaForCausalLM> adapters = Adapters.init(model);
            adapters.addAdapter("a", LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE)
                    .targetModules("q_proj", "v_proj", "gate_proj", "up_proj").build());
            adapters.setActiveAdapters("a");
            float[] unmerged = logits(model, manager);
            adapters.mergeAdapter("a");
            float[] merged = logits(model, manager);
            assertArrayEquals(unmerged, merged, 1e-4f);
            assertEquals(2 * 7 + 1, storedCount(model)); // every base projection and lm_head, merged or not
            // a replaced value lands in the stored layout with its own numbers
            for (Pair<String, Parameter> p : model.getParameters()) {
                NDArray array = p.getValue().getArray();
                if (TransposedStorage.isStored(array)) {
                    float[] values = array.toFloatArray();
                    ArrayValues.replace(array, array.mul(2f));
                    assertTrue(TransposedStorage.isStored(array), p.getKey());
                    assertEquals(2 * values[3], array.toFloatArray()[3], 1e-6f);
                    break;
                }
            }
        }
    }
}

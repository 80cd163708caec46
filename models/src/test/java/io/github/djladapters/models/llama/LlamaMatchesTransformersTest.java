package io.github.djladapters.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TransformersFixture;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny Llama (grouped-query attention, RoPE) written by transformers gives transformers' own logits and greedy generations here. */
class LlamaMatchesTransformersTest {

    private static NDManager manager;
    private static TransformersFixture fixture;
    private static LlamaForCausalLM model;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        fixture = TransformersFixture.open("llama-tiny");
        model = LlamaModels.fromCheckpoint(fixture.base(), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void logitsMatchTransformers() {
        double diff = fixture.maxLogitDifference(model, manager, "base_logits");
        System.out.println("llama-tiny base logits max abs diff vs transformers: " + diff);
        assertTrue(diff < 1e-4, "max abs diff " + diff);
    }

    @Test
    void greedyGenerationsMatchTransformersTokenForToken() {
        List<int[]> prompts = fixture.prompts();
        Generator generator = new Generator(model);
        for (int i = 0; i < prompts.size(); i++) {
            int[] ours = generator.generate(manager, List.of(prompts.get(i)), GenerationConfig.greedy(8)).get(0);
            assertArrayEquals(fixture.generated("generate_base", i), ours, "case " + i);
        }
    }
}

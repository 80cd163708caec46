package io.github.djladapters.models.gpt2;

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

/** The tiny GPT-2 written by transformers gives transformers' own logits and greedy generations here. */
class GPT2MatchesTransformersTest {

    private static NDManager manager;
    private static TransformersFixture fixture;
    private static GPT2LMHeadModel model;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        fixture = TransformersFixture.open("gpt2-tiny");
        model = GPT2Models.fromCheckpoint(fixture.base(), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void logitsMatchTransformers() {
        double diff = fixture.maxLogitDifference(model, manager, "base_logits");
        System.out.println("gpt2-tiny base logits max abs diff vs transformers: " + diff);
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

package io.github.djladapters.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DecodingBatchTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void rowsJoiningAndLeavingBetweenTokensGenerateWhatTheyGenerateAlone(String name) throws Exception {
        TransformersFixture fixture = TransformersFixture.open(name);
        List<int[]> prompts = List.of(new int[] {5, 9, 17}, new int[] {3}, new int[] {40, 41, 42, 43, 44, 45},
                new int[] {7, 7}, new int[] {100, 3, 9, 1});
        List<GenerationConfig> configs = List.of(GenerationConfig.greedy(9), GenerationConfig.greedy(4),
                GenerationConfig.greedy(12).withSampling(0.9f, 20, 0.95f, 5L), GenerationConfig.greedy(6),
                GenerationConfig.greedy(8).withSampling(1.2f, 0, 1f, 9L));
        int[] joinAtStep = {0, 0, 2, 5, 5};
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = name.startsWith("gpt2") ? GPT2Models.fromCheckpoint(fixture.base(), manager)
                    : LlamaModels.fromCheckpoint(fixture.base(), manager);
            Generator generator = new Generator(model);
            List<int[]> alone = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                alone.add(generator.generate(manager, List.of(prompts.get(i)), configs.get(i)).get(0));
            }
            int arraysBefore = manager.getManagedArrays().size();
            List<List<Integer>> produced = new ArrayList<>();
            prompts.forEach(p -> produced.add(new ArrayList<>()));
            List<Integer> rowOf = new ArrayList<>(); // batch position -> prompt index
            try (DecodingBatch batch = new DecodingBatch(model, manager)) {
                for (int step = 0; step < 40 && (step <= 5 || batch.size() > 0); step++) {
                    if (batch.size() > 0) {
                        int[] next = batch.step();
                        for (int r = 0; r < next.length; r++) {
                            produced.get(rowOf.get(r)).add(next[r]);
                        }
                    }
                    List<int[]> joining = new ArrayList<>();
                    List<GenerationConfig> joiningConfigs = new ArrayList<>();
                    for (int i = 0; i < prompts.size(); i++) {
                        if (joinAtStep[i] == step) {
                            joining.add(prompts.get(i));
                            joiningConfigs.add(configs.get(i));
                            rowOf.add(i);
                        }
                    }
                    if (!joining.isEmpty()) {
                        int[] first = batch.join(joining, joiningConfigs);
                        for (int j = 0; j < first.length; j++) {
                            produced.get(rowOf.get(rowOf.size() - first.length + j)).add(first[j]);
                        }
                    }
                    boolean[] leaving = new boolean[batch.size()];
                    for (int r = 0; r < leaving.length; r++) {
                        int i = rowOf.get(r);
                        leaving[r] = produced.get(i).size() >= configs.get(i).maxNewTokens();
                    }
                    batch.leave(leaving);
                    for (int r = leaving.length - 1; r >= 0; r--) {
                        if (leaving[r]) {
                            rowOf.remove(r);
                        }
                    }
                }
                assertEquals(0, batch.size());
                assertEquals(arraysBefore, manager.getManagedArrays().size(), "arrays an emptied batch still holds");
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(alone.get(i), produced.get(i).stream().mapToInt(Integer::intValue).toArray(),
                        name + " prompt " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void aRunningBatchHoldsTheSameNumberOfArraysAtEveryStep(String name) throws Exception {
        TransformersFixture fixture = TransformersFixture.open(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLanguageModel model = name.startsWith("gpt2") ? GPT2Models.fromCheckpoint(fixture.base(), manager)
                    : LlamaModels.fromCheckpoint(fixture.base(), manager);
            try (DecodingBatch batch = new DecodingBatch(model, manager)) {
                batch.join(List.of(new int[] {5, 9, 17}, new int[] {3}), List.of(GenerationConfig.greedy(40),
                        GenerationConfig.greedy(40)));
                batch.step();
                int afterOneStep = manager.getManagedArrays().size();
                for (int i = 0; i < 20; i++) {
                    batch.step();
                }
                assertEquals(afterOneStep, manager.getManagedArrays().size());
            }
        }
    }
}

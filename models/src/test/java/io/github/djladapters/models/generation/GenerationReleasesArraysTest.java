package io.github.djladapters.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnInvConfig;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation releases what it allocates (the model's manager and the caller's hold as many arrays
 * after many generations as before), with adapters active and with one adapter per prompt, and gives
 * the same tokens with the garbage collector running all the time as without.
 */
class GenerationReleasesArraysTest {

    private static final List<int[]> PROMPTS = List.of(new int[] {5, 9, 13}, new int[] {7, 2}, new int[] {30, 31, 32, 4});
    private static final LoRAConfig LORA = LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE)
            .build();

    @TempDir Path dir;

    @Test
    void gpt2AndLlamaGenerationsLeaveTheArrayCountsWhereTheyWere() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            GPT2Config g = TinyDecoderCheckpoints.tinyGpt2();
            var gShapes = TinyDecoderCheckpoints.shapes(g);
            TinyDecoderCheckpoints.write(dir.resolve("gpt2"), g.toJson(), gShapes,
                    TinyDecoderCheckpoints.randomWeights(gShapes, 21, 0.3));
            GPT2LMHeadModel gpt2 = GPT2Models.fromCheckpoint(dir.resolve("gpt2"), manager);
            LlamaConfig l = TinyDecoderCheckpoints.tinyLlama("llama", false);
            var lShapes = TinyDecoderCheckpoints.shapes(l);
            TinyDecoderCheckpoints.write(dir.resolve("llama"), l.toJson(), lShapes,
                    TinyDecoderCheckpoints.randomWeights(lShapes, 22, 0.3));
            LlamaForCausalLM llama = LlamaModels.fromCheckpoint(dir.resolve("llama"), manager);
            Engine.getInstance().setRandomSeed(3);
            AdapterModel<GPT2LMHeadModel> gpt2Adapters = Adapters.init(gpt2);
            gpt2Adapters.addAdapter("a", LORA);
            gpt2Adapters.addAdapter("b", LORA.toBuilder().r(2).build());
            gpt2Adapters.addAdapter("inv", SeqBnInvConfig.create()); // bottleneck + NICE on embeddings and head
            AdapterModel<LlamaForCausalLM> llamaAdapters = Adapters.init(llama);
            llamaAdapters.addAdapter("a", LORA);
            llamaAdapters.addAdapter("d", LORA.toBuilder().useDora(true).build());

            List<Supplier<List<int[]>>> runs = List.of(
                    () -> {
                        gpt2Adapters.setActiveAdapters("a", "b");
                        return new Generator(gpt2).generate(caller, PROMPTS, GenerationConfig.greedy(8));
                    },
                    () -> {
                        gpt2Adapters.setActiveAdapters("inv");
                        return new Generator(gpt2).generate(caller, PROMPTS, GenerationConfig.greedy(8));
                    },
                    () -> {
                        try (AdapterModel.RowAdapters rows = gpt2Adapters.routeRows(List.of("a", "", "b"), caller)) {
                            return new Generator(gpt2).generate(caller, PROMPTS, GenerationConfig.greedy(8));
                        }
                    },
                    () -> {
                        try (AdapterModel.RowAdapters rows = llamaAdapters.routeRows(List.of("d", "a", ""), caller)) {
                            return new Generator(llama).generate(caller, PROMPTS,
                                    GenerationConfig.greedy(8).withSampling(0.9f, 10, 0.9f, 5L));
                        }
                    });
            List<List<int[]>> calm = new ArrayList<>();
            runs.forEach(run -> calm.add(run.get())); // warm-up, and the reference tokens
            int modelArrays = manager.getManagedArrays().size();
            int callerArrays = caller.getManagedArrays().size();
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < runs.size(); i++) {
                    List<int[]> tokens = round % 2 == 0 ? runs.get(i).get() : underGcPressure(runs.get(i));
                    for (int p = 0; p < PROMPTS.size(); p++) {
                        assertArrayEquals(calm.get(i).get(p), tokens.get(p), "run " + i + " prompt " + p + " round "
                                + round);
                    }
                }
            }
            assertEquals(modelArrays, manager.getManagedArrays().size(), "arrays in the model's manager");
            assertEquals(callerArrays, caller.getManagedArrays().size(), "arrays in the caller's manager");
        }
    }

    /** Runs with a thread that calls System.gc() and fills fresh direct buffers with NaN meanwhile. */
    private static <T> T underGcPressure(Supplier<T> work) throws RuntimeException {
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (int i = 0; i < 32; i++) {
                    ByteBuffer garbage = ByteBuffer.allocateDirect(512);
                    while (garbage.remaining() >= 4) {
                        garbage.putInt(0x7fc00000);
                    }
                }
                System.gc();
            }
        });
        collector.setDaemon(true);
        collector.start();
        try {
            return work.get();
        } finally {
            collector.interrupt();
        }
    }
}

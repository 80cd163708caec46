package io.github.djladapters.samples.custom;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Greedy generation with LoRA on a Llama-shaped model (grouped-query attention, RoPE, SwiGLU; seeded
 * random weights, so the tokens mean nothing): two adapters and the base model serve three prompts
 * of different lengths in one batch, each prompt with its own adapter, and every row equals what
 * that adapter generates for its prompt alone; merging an adapter gives the same tokens again.
 */
public final class LlamaLoraGeneration {

    /** hidden 64, 2 layers, 4 query heads sharing 2 key/value heads, vocabulary 256. */
    static final LlamaConfig CONFIG = new LlamaConfig("llama", 256, 64, 128, 2, 4, 2, 16, 1e-6, 10000.0, false, false,
            false, false, 1, Set.of(2), 0);
    static final List<int[]> PROMPTS = List.of(new int[] {1, 17, 42, 99, 7}, new int[] {1, 200, 5},
            new int[] {1, 64, 65, 66, 67, 68, 69});
    static final List<String> ROW_ADAPTERS = List.of("", "poet", "coder");
    static final int NEW_TOKENS = 12;

    private LlamaLoraGeneration() {}

    /**
     * What a run generated.
     *
     * @param mixedBatch the batch with one adapter per prompt
     * @param oneByOne each prompt alone with its adapter active
     * @param merged each prompt alone with its adapter merged into the base weights
     * @param base each prompt alone with the base model
     */
    public record Result(List<int[]> mixedBatch, List<int[]> oneByOne, List<int[]> merged, List<int[]> base) {}

    /**
     * Runs the sample.
     *
     * @param args none
     */
    public static void main(String[] args) {
        run(System.out);
    }

    /**
     * Generates the three ways and prints the tokens.
     *
     * @param out where the report goes
     * @return the tokens
     */
    public static Result run(PrintStream out) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            LlamaForCausalLM model = new LlamaForCausalLM(CONFIG);
            model.setInitializer(new NormalInitializer(0.1f), p -> true);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
            AdapterModel<LlamaForCausalLM> adapters = Adapters.init(model);
            LoRAConfig random = LoRAConfig.builder().r(4).loraAlpha(16).targetModules("q_proj", "v_proj")
                    .initLoraWeights(LoRAInit.NONE).build(); // random A and B: each adapter changes the output
            adapters.addAdapter("poet", random);
            adapters.addAdapter("coder", random.toBuilder().targetModules("q_proj", "k_proj", "v_proj", "o_proj").build());
            out.println("Llama-shaped model with two LoRAs:");
            out.println(adapters.adapterSummary());

            Generator generator = new Generator(model);
            GenerationConfig greedy = GenerationConfig.greedy(NEW_TOKENS);
            List<int[]> mixed;
            try (AdapterModel.RowAdapters rows = adapters.routeRows(ROW_ADAPTERS, manager)) {
                mixed = generator.generate(manager, PROMPTS, greedy);
            }
            List<int[]> alone = new ArrayList<>();
            List<int[]> merged = new ArrayList<>();
            List<int[]> base;
            try (AdapterModel.DisabledScope disabled = adapters.disableAdapters()) {
                base = generator.generate(manager, PROMPTS, greedy);
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                String adapter = ROW_ADAPTERS.get(i);
                if (adapter.isEmpty()) {
                    alone.add(base.get(i));
                    merged.add(base.get(i));
                    continue;
                }
                adapters.setActiveAdapters(adapter);
                alone.add(generator.generate(manager, List.of(PROMPTS.get(i)), greedy).get(0));
                adapters.mergeAdapter(adapter);
                merged.add(generator.generate(manager, List.of(PROMPTS.get(i)), greedy).get(0));
                adapters.unmergeAdapter(adapter);
            }
            for (int i = 0; i < PROMPTS.size(); i++) {
                String name = ROW_ADAPTERS.get(i).isEmpty() ? "base" : ROW_ADAPTERS.get(i);
                out.printf("prompt %s, %-5s -> %s%n", Arrays.toString(PROMPTS.get(i)), name, Arrays.toString(mixed.get(i)));
                out.printf("  alone: %s, merged: %s%n", Arrays.equals(mixed.get(i), alone.get(i)) ? "same tokens" : "DIFFERENT",
                        Arrays.equals(mixed.get(i), merged.get(i)) ? "same tokens" : "DIFFERENT");
            }
            return new Result(mixed, alone, merged, base);
        }
    }
}

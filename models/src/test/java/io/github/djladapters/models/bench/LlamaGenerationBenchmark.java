package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDArray;
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
import io.github.djladapters.runtime.methods.adaptionprompt.AdaptionPromptConfig;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Tokens per second of greedy generation on a Llama-shaped model of about 100 M parameters with
 * random weights, with and without the key/value cache and with an adaption prompt, measured side by
 * side in one run. Not a
 * unit test: run it by hand.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.LlamaGenerationBenchmark [promptLength] [newTokens] [rounds]
 * </pre>
 */
public final class LlamaGenerationBenchmark {

    private LlamaGenerationBenchmark() {}

    /**
     * Runs the benchmark and prints one line per setting.
     *
     * @param args optional prompt length (default 32), new tokens (default 64), measured rounds (default 3)
     */
    public static void main(String[] args) {
        int promptLength = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int newTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        // hidden 768, 12 layers, 12 heads of 64 with 4 KV heads, SwiGLU 2048, vocab 32000, tied head
        LlamaConfig config = new LlamaConfig("llama", 32000, 768, 2048, 12, 12, 4, 64, 1e-6, 10000.0, false, false,
                false, true, 1, Set.of(2), 0);
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = new LlamaForCausalLM(config);
            model.setInitializer(new NormalInitializer(0.02f), p -> true);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
            long parameters = model.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            System.out.printf("model: %.1f M parameters, prompt %d tokens, %d new tokens, batch 1, %d threads%n",
                    parameters / 1e6, promptLength, newTokens, Runtime.getRuntime().availableProcessors());
            Random random = new Random(1);
            int[] prompt = random.ints(promptLength, 3, config.vocabSize()).toArray();
            Generator generator = new Generator(model);
            GenerationConfig cached = GenerationConfig.greedy(newTokens);
            GenerationConfig uncached = cached.withCache(false);
            generator.generate(manager, List.of(prompt), cached.withCache(true)); // warm-up
            generator.generate(manager, List.of(prompt), uncached);
            // an adaption prompt of 10 positions on all 12 layers, gates set so that it acts
            AdapterModel<LlamaForCausalLM> adapters = Adapters.init(model);
            adapters.addAdapter("prompt", new AdaptionPromptConfig(10, 12, null));
            Map<String, NDArray> tensors = adapters.adapterTensors("prompt", manager);
            tensors.replaceAll((key, value) -> key.endsWith("adaption_gate") ? value.add(0.5f) : value);
            adapters.loadAdapterTensors("prompt", tensors);
            adapters.setActiveAdapters("prompt");
            generator.generate(manager, List.of(prompt), cached); // warm-up with the adapter
            double withCache = 0;
            double without = 0;
            double adapted = 0;
            for (int r = 0; r < rounds; r++) { // interleaved so all see the same machine state
                try (AdapterModel.DisabledScope base = adapters.disableAdapters()) {
                    withCache += tokensPerSecond(generator, manager, prompt, cached);
                    without += tokensPerSecond(generator, manager, prompt, uncached);
                }
                adapted += tokensPerSecond(generator, manager, prompt, cached);
            }
            System.out.printf("greedy with cache:    %.1f tokens/s%n", withCache / rounds);
            System.out.printf("greedy without cache: %.1f tokens/s%n", without / rounds);
            System.out.printf("greedy with cache and an adaption prompt (10 positions, 12 layers): %.1f tokens/s%n",
                    adapted / rounds);
        }
    }

    private static double tokensPerSecond(Generator generator, NDManager manager, int[] prompt,
            GenerationConfig config) {
        long start = System.nanoTime();
        int produced = generator.generate(manager, List.of(prompt), config).get(0).length;
        return produced / ((System.nanoTime() - start) / 1e9);
    }
}

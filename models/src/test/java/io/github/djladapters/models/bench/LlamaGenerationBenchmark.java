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

/**
 * Tokens per second of greedy generation on a Llama-shaped model of about 100 M parameters with
 * random weights, with and without the key/value cache and with an adaption prompt (PEFT's
 * LLaMA-Adapter: {@code adapter_len} 10 on the top layers, 11 of 12 by default as PEFT's example puts
 * 30 on LLaMA-7B's 32), measured side by side in one run: the settings run interleaved, round by
 * round, and the adapter's ratio is the median of the per-round ratios. Not a unit test: run it by hand.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.LlamaGenerationBenchmark [promptLength] [newTokens] [rounds]
 *     [adapterLayers] [uncached]
 * </pre>
 */
public final class LlamaGenerationBenchmark {

    private LlamaGenerationBenchmark() {}

    /**
     * Runs the benchmark and prints one line per setting.
     *
     * @param args optional prompt length (default 32), new tokens (default 64), measured rounds
     *     (default 3), layers with an adaption prompt (default 11, the top ones), whether to measure
     *     generation without the cache too (default true)
     */
    public static void main(String[] args) {
        int promptLength = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int newTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int adapterLayers = args.length > 3 ? Integer.parseInt(args[3]) : 11;
        boolean measureUncached = args.length <= 4 || Boolean.parseBoolean(args[4]);
        // hidden 768, 12 layers, 12 heads of 64 with 4 KV heads, SwiGLU 2048, vocab 32000, tied head
        LlamaConfig config = GenerationBenchModel.config();
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = new LlamaForCausalLM(config);
            model.setInitializer(new NormalInitializer(0.02f), p -> true);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
            long parameters = model.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            System.out.printf("model: %.1f M parameters, prompt %d tokens, %d new tokens, batch 1, %d rounds, %d cores%n",
                    parameters / 1e6, promptLength, newTokens, rounds, Runtime.getRuntime().availableProcessors());
            Random random = new Random(1);
            int[] prompt = random.ints(promptLength, 3, config.vocabSize()).toArray();
            Generator generator = new Generator(model);
            GenerationConfig cached = GenerationConfig.greedy(newTokens);
            GenerationConfig uncached = cached.withCache(false);
            generator.generate(manager, List.of(prompt), cached.withCache(true)); // warm-up
            if (measureUncached) {
                generator.generate(manager, List.of(prompt), uncached);
            }
            // adapter_len 10 on the top layers, gates set so that it acts
            AdapterModel<LlamaForCausalLM> adapters = Adapters.init(model);
            adapters.addAdapter("prompt", new AdaptionPromptConfig(10, adapterLayers, null));
            Map<String, NDArray> tensors = adapters.adapterTensors("prompt", manager);
            tensors.replaceAll((key, value) -> key.endsWith("adaption_gate") ? value.add(0.5f) : value);
            adapters.loadAdapterTensors("prompt", tensors);
            adapters.setActiveAdapters("prompt");
            generator.generate(manager, List.of(prompt), cached); // warm-up with the adapter
            double[] withCache = new double[rounds];
            double[] without = new double[rounds];
            double[] adapted = new double[rounds];
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) { // interleaved so all see the same machine state
                try (AdapterModel.DisabledScope base = adapters.disableAdapters()) {
                    withCache[r] = tokensPerSecond(generator, manager, prompt, cached);
                    if (measureUncached) {
                        without[r] = tokensPerSecond(generator, manager, prompt, uncached);
                    }
                }
                adapted[r] = tokensPerSecond(generator, manager, prompt, cached);
                ratio[r] = adapted[r] / withCache[r];
                System.out.printf("round %d: base %.1f, adaption prompt %.1f tokens/s%n", r + 1, withCache[r], adapted[r]);
            }
            System.out.printf("greedy with cache:    %.1f tokens/s (median)%n", median(withCache));
            if (measureUncached) {
                System.out.printf("greedy without cache: %.1f tokens/s (median)%n", median(without));
            }
            System.out.printf("greedy with cache and an adaption prompt (10 positions, top %d of 12 layers): %.1f"
                    + " tokens/s (median); adapter / base %.3f (median of per-round ratios)%n", adapterLayers,
                    median(adapted), median(ratio));
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double tokensPerSecond(Generator generator, NDManager manager, int[] prompt,
            GenerationConfig config) {
        long start = System.nanoTime();
        int produced = generator.generate(manager, List.of(prompt), config).get(0).length;
        return produced / ((System.nanoTime() - start) / 1e9);
    }
}

package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The Llama-shaped 100 M model that the generation benchmarks run (and that {@code bench/peers/peer_cases.py}
 * builds on the transformers side): hidden 768, 12 layers, 12 heads of 64 over 4 key/value heads, SwiGLU
 * 2048, vocabulary 32000, tied head, random weights (normal, 0.02); prompts of random token ids.
 */
final class GenerationBenchModel {

    private GenerationBenchModel() {}

    /**
     * The model's configuration.
     *
     * @return the configuration
     */
    static LlamaConfig config() {
        return new LlamaConfig("llama", 32000, 768, 2048, 12, 12, 4, 64, 1e-6, 10000.0, false, false,
                false, true, 1, Set.of(2), 0);
    }

    /**
     * The model with random weights, initialised on {@code manager}.
     *
     * @param manager the manager of its parameters
     * @return the model
     */
    static LlamaForCausalLM initialized(NDManager manager) {
        LlamaForCausalLM model = new LlamaForCausalLM(config());
        model.setInitializer(new NormalInitializer(0.02f), p -> true);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        return model;
    }

    /**
     * {@code batch} prompts of {@code length} random token ids (3 up to the vocabulary), the same for
     * every benchmark (seed 1).
     *
     * @param batch the number of prompts
     * @param length the tokens of each
     * @return the prompts
     */
    static List<int[]> prompts(int batch, int length) {
        Random random = new Random(1);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            prompts.add(random.ints(length, 3, config().vocabSize()).toArray());
        }
        return prompts;
    }

    /**
     * A generator over a new {@link #initialized} model.
     *
     * @param manager the model's manager
     * @return the generator
     */
    static Generator generator(NDManager manager) {
        return new Generator(initialized(manager));
    }

    /**
     * The arguments of the generation benchmarks, in this order: batch (default 1), rounds, new tokens
     * (default 64); their prompts are {@code batch} rows of 32 tokens, decoded greedily.
     *
     * @param batch prompts per generation
     * @param rounds measured rounds
     * @param newTokens tokens generated per prompt
     */
    record Arguments(int batch, int rounds, int newTokens) {

        /**
         * Reads the arguments.
         *
         * @param args the command line
         * @param defaultRounds rounds when the command line gives none
         * @return the arguments
         */
        static Arguments of(String[] args, int defaultRounds) {
            return new Arguments(args.length > 0 ? Integer.parseInt(args[0]) : 1,
                    args.length > 1 ? Integer.parseInt(args[1]) : defaultRounds,
                    args.length > 2 ? Integer.parseInt(args[2]) : 64);
        }

        /** The prompts: {@code batch} seeded rows of 32 tokens. */
        List<int[]> prompts() {
            return GenerationBenchModel.prompts(batch, 32);
        }

        /** Greedy decoding of {@code newTokens} tokens. */
        GenerationConfig greedy() {
            return GenerationConfig.greedy(newTokens);
        }
    }
}

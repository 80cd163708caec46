package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.architecture.RealTokens;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive generation for a {@link CausalLanguageModel}: greedy or sampled, with a key/value
 * cache or recomputing the sequence at each step, for batches of prompts of different lengths
 * (left-padded, with an attention mask and position ids counted over real tokens).
 *
 * <pre>{@code
 * Generator generator = new Generator(model);
 * List<int[]> out = generator.generate(manager, List.of(new int[] {1, 5, 17}), GenerationConfig.greedy(8));
 * }</pre>
 */
public final class Generator {

    private final CausalLanguageModel model;

    /**
     * A generator for one model.
     *
     * @param model a loaded model
     */
    public Generator(CausalLanguageModel model) {
        this.model = model;
    }

    /**
     * Generates continuations of every prompt, all prompts in one batch.
     *
     * @param manager the manager under which each step's arrays are opened and closed
     * @param prompts token ids, at least one each
     * @param config how tokens are picked and when to stop
     * @return per prompt, the new tokens only (up to and including a stop token)
     */
    public List<int[]> generate(NDManager manager, List<int[]> prompts, GenerationConfig config) {
        return generate(manager, prompts, config, (row, token) -> { });
    }

    /** Receives each row's tokens as they are picked, for streaming. */
    @FunctionalInterface
    public interface TokenListener {
        /**
         * A row's next token (the last one of a row is its stop token, when it has one).
         *
         * @param row the prompt's index
         * @param token the new token
         */
        void onToken(int row, int token);
    }

    /**
     * Generates as {@link #generate(NDManager, List, GenerationConfig)} does, telling {@code listener}
     * each new token of each row at the step that picks it.
     *
     * @param manager the manager under which each step's arrays are opened and closed
     * @param prompts token ids, at least one each
     * @param config how tokens are picked and when to stop
     * @param listener called on this thread once per row and step until the row finishes
     * @return per prompt, the new tokens only (up to and including a stop token)
     */
    public List<int[]> generate(NDManager manager, List<int[]> prompts, GenerationConfig config,
            TokenListener listener) {
        if (prompts.isEmpty()) {
            return List.of();
        }
        int batch = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (prompts.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("every prompt needs at least one token");
        }
        int total = longest + config.maxNewTokens();
        long[] tokens = new long[batch * total];
        long[] mask = new long[batch * total];
        for (int b = 0; b < batch; b++) {
            int[] prompt = prompts.get(b);
            int pad = longest - prompt.length;
            Arrays.fill(tokens, b * total, b * total + pad, config.padTokenId());
            for (int t = 0; t < prompt.length; t++) {
                tokens[b * total + pad + t] = prompt[t];
                mask[b * total + pad + t] = 1;
            }
        }
        GeneratedTokens generated = new GeneratedTokens(batch, config);
        TokenSampler sampler = new TokenSampler(config);
        try (GradientsOff off = GradientsOff.onThisThread();
                NDManager run = manager.newSubManager();
                KeyValueCache cache = config.useCache() ? new KeyValueCache(run, model.numLayers(), total) : null) {
            ParameterStore ps = new ParameterStore(run, false);
            int length = longest;
            for (int step = 0; step < config.maxNewTokens(); step++) {
                int from = cache != null && step > 0 ? length - 1 : 0;
                int[] next;
                // recomputing the sequence, the tokens generated so far are not prompt: ReFT skips them
                try (NDManager scope = run.newSubManager();
                        RealTokens.Scope prompt = RealTokens.generated(from == 0 ? length - longest : 0)) {
                    NDArray ids = scope.create(columns(tokens, batch, total, from, length), new Shape(batch, length - from));
                    NDArray seen = scope.create(columns(mask, batch, total, 0, length), new Shape(batch, length));
                    NDArray positions = from == length - 1
                            ? scope.create(lastPositions(mask, batch, total, length), new Shape(batch, 1))
                            : CausalAttentionMask.positionIds(seen, length - from);
                    NDArray logits = model.logits(ps, ids, seen, positions, cache, true);
                    next = sampler.next(logits.reshape(batch, logits.getShape().get(2)));
                }
                boolean[] open = generated.unfinished();
                int[] fed = generated.record(next);
                for (int b = 0; b < batch; b++) {
                    if (open[b]) {
                        listener.onToken(b, fed[b]);
                    }
                }
                for (int b = 0; b < batch; b++) {
                    tokens[b * total + length] = fed[b];
                    mask[b * total + length] = 1;
                }
                length++;
                if (generated.allFinished()) {
                    break;
                }
            }
        }
        return generated.toArrays();
    }

    /**
     * The position id of column {@code length - 1} of each row, counted over real tokens as
     * {@link CausalAttentionMask#positionIds} counts them, without a tensor op.
     */
    static long[] lastPositions(long[] mask, int batch, int width, int length) {
        long[] out = new long[batch];
        for (int b = 0; b < batch; b++) {
            long real = 0;
            for (int t = 0; t < length; t++) {
                real += mask[b * width + t];
            }
            out[b] = mask[b * width + length - 1] == 0 ? 1 : real - 1;
        }
        return out;
    }

    /** Columns {@code [from, to)} of every row of a row-major {@code [batch, width]} matrix. */
    static long[] columns(long[] matrix, int batch, int width, int from, int to) {
        long[] out = new long[batch * (to - from)];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(matrix, b * width + from, out, b * (to - from), to - from);
        }
        return out;
    }
}
